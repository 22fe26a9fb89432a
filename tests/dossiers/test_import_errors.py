"""Every CSV import reports its problems with one error type, ``line N, column C: reason``."""
from dossiers.errors import DossierError
from dossiers.services.history_import import HistoryImportError
from dossiers.services.import_errors import ImportFileError, LocatedErrors, line_of, located


def test_one_error_type_for_every_import():
    assert issubclass(HistoryImportError, ImportFileError)
    assert issubclass(ImportFileError, DossierError)
    assert located(12, "code", "trùng") == "line 12, column code: trùng"
    assert line_of("line 12, column code: trùng") == 12
    assert line_of("… và 3 lỗi khác") == 0


def test_problems_sorted_by_line_then_by_the_header_order():
    errors = LocatedErrors()
    errors.positions = {"code": 0, "name": 1}
    errors.add(3, "name", "b")
    errors.add(2, "extra", "c")
    errors.add(3, "code", "a")
    errors.add(2, "name", "d")
    try:
        errors.raise_if_any()
    except ImportFileError as exc:
        assert exc.lines == ["line 2, column name: d", "line 2, column extra: c",
                             "line 3, column code: a", "line 3, column name: b"]
        assert exc.errors == {"file": exc.lines}
    else:
        raise AssertionError("no error raised")


def test_the_history_import_lists_the_first_200_and_counts_the_rest():
    lines = [f"line {n}, column code: x" for n in range(2, 205)]
    exc = HistoryImportError(lines)
    assert exc.errors == exc.lines == lines
    shown = str(exc).splitlines()
    assert len(shown) == 201 and shown[199] == "line 201, column code: x" and shown[200] == "… và 3 lỗi khác"
    assert str(ImportFileError(lines)).count("\n") == 202  # the catalogue lists them all
