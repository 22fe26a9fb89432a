"""Reads: the calendar in force, unit trees, what a user may see, worklists.

No writes here. The working-day calendar is built once per process from the `holidays`
library plus the administrator's overrides and rebuilt when an override changes (a version
stamp in the shared cache tells every process).
"""
from __future__ import annotations

import threading
from datetime import date, datetime
from datetime import timezone as dt_timezone

from django.core.cache import cache
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from dossiers import calendar as wcal
from dossiers.models import CalendarOverride, Dossier, DossierStep, Procedure, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, LEADER, user_roles
from dossiers.workflow import FINAL_STATES, OPEN_STATES, DossierState
from onecua.stamps import SharedStamp

#: the years the in-memory calendar covers (imports from older systems start around 2015)
CALENDAR_FIRST_YEAR = 2010
CALENDAR_LAST_YEAR = 2060
_calendar_stamp = SharedStamp("onecua:calendar-version")

_calendar_lock = threading.Lock()
_calendar_cache: dict[str, object] = {"version": None, "calendar": None}


def calendar_overrides() -> dict[date, tuple[bool, str]]:
    return {
        o.date: (o.is_working_day, o.reason)
        for o in CalendarOverride.objects.only("date", "is_working_day", "reason")
    }


def calendar_build(*, overrides: dict[date, tuple[bool, str]] | None = None) -> wcal.WorkCalendar:
    from dossiers.vn_calendar import build_vn_calendar

    return build_vn_calendar(
        first_year=CALENDAR_FIRST_YEAR,
        last_year=CALENDAR_LAST_YEAR,
        overrides=calendar_overrides() if overrides is None else overrides,
    )


def calendar_version() -> str:
    return _calendar_stamp.read()


def calendar_invalidate() -> None:
    """Tell every process that the overrides changed (called by the override services)."""
    _calendar_stamp.bump()
    with _calendar_lock:
        _calendar_cache["version"] = None


def calendar_get() -> wcal.WorkCalendar:
    """The calendar in force: national holidays + overrides, cached per process and rebuilt
    when the shared stamp moves (read at most once a second: ``onecua.stamps``)."""
    version = _calendar_stamp.current()
    cal = _calendar_cache["calendar"]
    if cal is not None and _calendar_cache["version"] == version:
        return cal  # type: ignore[return-value]
    with _calendar_lock:
        cal = calendar_build()
        _calendar_cache.update(version=version, calendar=cal)
    return cal


# --- units -----------------------------------------------------------------------------------


def _unit_subtree(unit_id: int) -> tuple[set[int], int]:
    """The unit and every unit below it, and the number of units in all (one query)."""
    children: dict[int | None, list[int]] = {}
    total = 0
    for uid, parent_id in Unit.objects.order_by().values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(uid)
        total += 1
    out, stack = set(), [unit_id]
    while stack:
        uid = stack.pop()
        if uid in out:
            continue
        out.add(uid)
        stack.extend(children.get(uid, ()))
    return out, total


def unit_descendant_ids(unit_id: int) -> set[int]:
    """The unit and every unit below it."""
    return _unit_subtree(unit_id)[0]


def unit_scope_ids(unit_id: int) -> set[int] | None:
    """:func:`unit_descendant_ids`, or None when that is every unit (a unit over the whole tree,
    e.g. the province): no filter at all, which keeps counts, lists and reports on plain indexes
    at national scale, without an IN list of every unit."""
    subtree, total = _unit_subtree(unit_id)
    return None if len(subtree) == total else subtree


def staff_profile(user) -> StaffProfile | None:
    if not user.is_authenticated:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


def user_unit_ids(user) -> set[int] | None:
    """Units whose dossiers the user may see; None means all (superuser, administrator).

    Staff see their own unit; leaders (supervisors) see their unit's subtree.
    """
    if user.is_superuser:
        return None
    roles = user_roles(user)
    profile = staff_profile(user)
    if profile is None:
        return None if ADMINISTRATOR in roles else set()
    if LEADER in roles:
        return unit_scope_ids(profile.unit_id)  # a leader over the whole tree sees everything
    return {profile.unit_id}


def dossiers_visible_to(user, qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    """Dossiers the user may see: received, led or handled (a step) by one of the user's units."""
    qs = Dossier.objects.all() if qs is None else qs
    unit_ids = user_unit_ids(user)
    if unit_ids is None:
        return qs
    if not unit_ids:
        return qs.none()
    in_step = DossierStep.objects.filter(dossier=OuterRef("pk"), unit_id__in=unit_ids)
    return qs.filter(
        Q(receiving_unit_id__in=unit_ids) | Q(resolving_unit_id__in=unit_ids) | Q(current_unit_id__in=unit_ids)
        | Exists(in_step)
    )


def dossier_get_for_user(*, user, code: str) -> Dossier:
    """The dossier with this code if the user may see it, else Dossier.DoesNotExist (→ 404)."""
    return dossiers_visible_to(user, Dossier.objects.select_related(
        "procedure", "procedure__field", "receiving_unit", "receiving_unit__parent", "resolving_unit",
        "current_unit", "assigned_to", "counter",
    )).get(code=code)


def dossiers_open(qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    qs = Dossier.objects.all() if qs is None else qs
    return qs.filter(state__in=OPEN_STATES)


def dossiers_overdue(*, on: date, qs: QuerySet[Dossier] | None = None, now: datetime | None = None) -> QuerySet[Dossier]:
    """Open dossiers past their due date on `on` (a paused dossier is judged at its pause, D12).

    With `now` (an instant of day `on`), also running hour deadlines whose ``due_at`` has
    passed: the "overdue" of ``dossiers.deadlines`` (the dashboard's bucket). Without it, the
    end-of-day view of reports (D12)."""
    q = Q(paused_on__isnull=True, due_date__lt=on) | Q(paused_on__isnull=False, due_date__lt=models.F("paused_on"))
    if now is not None:
        q |= Q(paused_on__isnull=True, time_unit=Procedure.TimeUnit.WORKING_HOURS, due_at__lt=now)
    return dossiers_open(qs).filter(q)


def applicant_last_by_id_number(*, id_number: str, user) -> Dossier | None:
    """The applicant's latest dossier visible to the user (to reuse their data at intake)."""
    return (
        dossiers_visible_to(user, Dossier.objects.filter(applicant_id_number=id_number))
        .order_by("-received_at")
        .first()
    )


#: The left menu's counts of a scope that holds at least this many dossiers are kept in the
#: shared cache for ``MENU_COUNTS_CACHE_SECONDS``: counting them exactly costs 100–200 ms per
#: million dossiers, on every page, beside the dashboard's own pass over the same million (a
#: province of a million dossiers over five years holds ~110,000 counted ones: 64–230 ms on
#: every page of its leader, bench/bench_scale.py). Smaller scopes (a unit, a district) are
#: counted fresh every time.
MENU_COUNTS_CACHE_FROM = 50_000
MENU_COUNTS_CACHE_SECONDS = 30
_MENU_COUNTS_KEY = "onecua:menu-counts:"
_ID_CHUNK = 5_000  # ids per ``IN (…)`` (SQLite allows 32,766 parameters)


def scope_cache_key(prefix: str, unit_ids: set[int] | None) -> str:
    """A cache key for figures shared by everyone with the same unit scope (None: the whole
    tree): the menu counts here, the supervisor's board in monitoring."""
    import hashlib

    if unit_ids is None:
        return prefix + "all"
    return prefix + hashlib.sha1(",".join(map(str, sorted(unit_ids))).encode()).hexdigest()


def plain_planning() -> None:
    """Inside a transaction on PostgreSQL: no JIT compilation (these counts are large by the
    planner's estimate but simple; compiling costs 100–200 ms and saves nothing) and room to
    hash a subtree's dossier ids in memory. ``SET LOCAL`` ends with the transaction."""
    from django.db import connection

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '32MB'")


#: The states the left menu and the list tabs count: every state a dossier leaves again. The
#: final ones (returned, withdrawn, rejected) pile up for years and are never counted, so the
#: counts cost the same in a province's tenth year as in its first (issue 19).
COUNTED_STATES = tuple(sorted(str(s) for s in DossierState.values if s not in FINAL_STATES))


def _visible_conditions(unit_ids: set[int]) -> list[Q]:
    """``dossiers_visible_to`` of a user with these units as DISJOINT conditions, each a narrow
    range of one index of the units' entries (:func:`dossier_counts_by_state` tells which)."""
    ids = sorted(unit_ids)
    held = Q(current_unit_id__in=ids)
    led = Q(resolving_unit_id__in=ids)
    received = Q(receiving_unit_id__in=ids)
    parts = [held, led & ~held, received & ~held & ~led]
    # Part 4 in two steps: the planner cannot know that few steps' dossiers survive the
    # anti-join and would hash them against a scan of the whole dossier table; their ids,
    # fetched first, are then looked up by primary key.
    led_here = Dossier.objects.filter(led, pk=OuterRef("dossier_id"))
    passed = sorted(set(
        DossierStep.objects.filter(unit_id__in=ids).filter(~Exists(led_here))
        .order_by().values_list("dossier_id", flat=True)
    ))
    for i in range(0, len(passed), _ID_CHUNK):
        parts.append(Q(pk__in=passed[i:i + _ID_CHUNK]) & ~held & ~received)
    return parts


def _scope_conditions(unit_ids: set[int], *, led_apart: bool = False) -> list[Q]:
    """``dossiers_visible_to`` of a user with these units as a few conditions whose union it is
    (not disjoint): received, led or held by one of the units (three unit indexes, OR'ed in a
    bitmap), and the dossiers that only stepped through one (their ids, in chunks).

    `led_apart`: the three unit conditions as disjoint parts, each answered by one index alone:
    led by one (``dossier_vis_resolving``, which carries what a name search reads: most of a
    unit's dossiers), held by one and led elsewhere (``dossier_current_state``), received by one,
    led and held elsewhere (``dossier_vis_receiving``)."""
    ids = sorted(unit_ids)
    held, led, received = (Q(current_unit_id__in=ids), Q(resolving_unit_id__in=ids),
                           Q(receiving_unit_id__in=ids))
    units = [led, held & ~led, received & ~held & ~led] if led_apart else [held | led | received]
    led_here = Dossier.objects.filter(resolving_unit_id__in=ids, pk=OuterRef("dossier_id"))
    passed = sorted(set(  # usually a handful: a unit's own dossiers are led by it (as in _visible_conditions)
        DossierStep.objects.filter(unit_id__in=ids).filter(~Exists(led_here)).order_by().values_list("dossier_id", flat=True)
    ))
    return units + [Q(pk__in=passed[i:i + _ID_CHUNK]) for i in range(0, len(passed), _ID_CHUNK)]


def _visible_parts(unit_ids: set[int] | None) -> list[QuerySet[Dossier]]:
    """:func:`_visible_conditions` as querysets; None (the whole tree): one queryset."""
    if unit_ids is None:
        return [Dossier.objects.all()]
    return [Dossier.objects.filter(q) for q in _visible_conditions(unit_ids)]


def dossier_counts_by_state(*, unit_ids: set[int] | None) -> dict[str, int]:
    """How many dossiers ``dossiers_visible_to`` shows a user with these units, per counted
    state (``COUNTED_STATES``: every index range read stops at the final states).

    The same set as the visibility rule (received, led, held now, or stepped through by one of
    the units), counted as four DISJOINT parts so that each is a narrow index-only range scan
    of the units' entries instead of one pass over every dossier row with an OR and an EXISTS
    per row (bench/bench_sweep.py, a million open dossiers: a district of 11 units 0.6 s →
    50 ms, one Sở 0.5 s → 10 ms):

    1. held now by one of the units (``dossier_current_state``);
    2. led by one, held elsewhere (``dossier_vis_resolving``);
    3. received by one, led and held elsewhere (``dossier_vis_receiving``);
    4. a step at one of the units, and received, led and held elsewhere: a liên thông dossier
       that passed through. The steps' dossier ids (``dossier_step_unit``) minus those led by
       the units (hashed, from ``dossier_vis_resolving``) are usually a handful; only their
       rows are read (by primary key), to drop the ones received or held by the units.
    """
    from django.db import transaction
    from django.db.models import Count

    def by_state(qs) -> list[tuple[str, int]]:
        qs = qs.filter(state__in=COUNTED_STATES)
        return list(qs.order_by().values_list("state").annotate(n=Count("*")))

    counts: dict[str, int] = {}
    if unit_ids is not None and not unit_ids:  # no unit: sees nothing
        return counts
    with transaction.atomic():
        plain_planning()
        parts = [by_state(part) for part in _visible_parts(unit_ids)]
    for part in parts:
        for state, n in part:
            counts[state] = counts.get(state, 0) + n
    return counts


def dossier_counts_by_state_shared(*, unit_ids: set[int] | None) -> dict[str, int]:
    """:func:`dossier_counts_by_state`, shared through the cache for ``MENU_COUNTS_CACHE_SECONDS``
    when the scope holds ``MENU_COUNTS_CACHE_FROM`` counted dossiers or more."""
    key = scope_cache_key(_MENU_COUNTS_KEY, unit_ids)
    by_state = cache.get(key)
    if by_state is None:
        by_state = dossier_counts_by_state(unit_ids=unit_ids)
        if sum(by_state.values()) >= MENU_COUNTS_CACHE_FROM:
            cache.set(key, by_state, MENU_COUNTS_CACHE_SECONDS)
    return by_state


def dossier_menu_counts(*, user, by_state: dict[str, int] | None = None) -> dict[str, int | None]:
    """Counts for the left menu: the dossiers the user may see (``dossiers_visible_to``) per
    state, and the open ones assigned to the user. "Đã trả kết quả" has no count (None): it
    would grow with every year kept.

    The per-state counts of a scope of ``MENU_COUNTS_CACHE_FROM`` dossiers or more (the province
    leader at national scale) are shared by everyone with that scope through the cache and may
    be up to ``MENU_COUNTS_CACHE_SECONDS`` old; "Hồ sơ của tôi" is always counted fresh.
    `by_state`: :func:`dossier_counts_by_state` of the user's units, when the caller (a list
    page) has just counted it.
    """
    unit_ids = user_unit_ids(user)
    if by_state is None and unit_ids is not None and not unit_ids:
        by_state = {}
    elif by_state is None:
        by_state = dossier_counts_by_state_shared(unit_ids=unit_ids)
    mine = Dossier.objects.filter(assigned_to=user, state__in=OPEN_STATES).count() if user.is_authenticated else 0
    return {
        "submitted": by_state.get("submitted", 0),
        "processing": by_state.get("received", 0) + by_state.get("in_processing", 0),
        "supplement": by_state.get("awaiting_supplement", 0),
        "result": by_state.get("approved", 0) + by_state.get("refused", 0),
        "returned": None,
        "mine": mine,
    }


# --- staff search ----------------------------------------------------------------------------

#: a search, or a list of dossiers that only grows ("đã trả kết quả"), counts its rows up to
#: this many ("hơn 1.000 hồ sơ" beyond): counting every "nguyen van" or every return of ten
#: years would read a tenth of the table for a number nobody pages through
COUNT_CAP = 1_000
#: a scoped name search reads the names of a part of the scope other than "led here" by their
#: ids when it holds at most this many dossiers (``search_ranked``)
_SCAN_FEW = 5_000
#: before every receipt: a dossier not received yet sorts last among the newest first
_EARLIEST = datetime(1, 1, 2, tzinfo=dt_timezone.utc)


def search_match(text: str, *, contains: bool = True):
    """(condition, rank) of a search box's text, or None when it is empty.

    One search over the code (exactly or its start), the CCCD, the phone and the applicant's
    name, ignoring case and Vietnamese diacritics (``dossiers.search``). Rank 0: the exact code;
    1: an exact CCCD or phone; 2: a code starting with the text; names: 3 equal, 4 starting with
    the text, 5 containing it.
    """
    from django.db.models import Case, IntegerField, Value, When

    from dossiers.search import parse

    query = parse(text)
    if query.is_empty:
        return None
    code = query.text.upper().replace(" ", "")
    exact_code = Q(code=code)
    exact_number = Q(pk__in=[])
    if query.id_number:
        exact_number |= Q(applicant_id_number=query.id_number)
    if query.phone:
        exact_number |= Q(applicant_phone_digits=query.phone)
    code_prefix = Q(code__startswith=code)
    if not query.folded:
        name = Q(pk__in=[])
    elif contains:
        name = Q(applicant_name_folded__contains=query.folded)
    else:
        name = Q(applicant_name_folded__startswith=query.folded)
    rank = Case(
        When(exact_code, then=Value(0)),
        When(exact_number, then=Value(1)),
        When(code_prefix, then=Value(2)),
        When(applicant_name_folded=query.folded, then=Value(3)),
        When(applicant_name_folded__startswith=query.folded, then=Value(4)),
        default=Value(5),
        output_field=IntegerField(),
    )
    return exact_code | exact_number | code_prefix | name, rank


#: a search looks for names that merely contain the text (the slow trigram index) only when
#: fewer than this many names start with it: a page of the list
SEARCH_CONTAINS_BELOW = 30


def _search_candidates() -> int:
    """How many of each kind of match a search ranks, its newest ones: one more than a list
    counts, so that "hơn 1.000" still shows."""
    return COUNT_CAP + 1


def search_ranked(qs: QuerySet[Dossier], text: str, *, unit_ids: set[int] | None = None,
                  unfiltered: bool = False) -> QuerySet[Dossier]:
    """`qs` narrowed to the search's matches, best first, newest first within a rank.

    The matches are gathered first as a bounded set of ids, newest first, at most
    ``COUNT_CAP + 1``: codes starting with the text (the exact code among them), the exact CCCD
    or phone, names starting with the text (B-tree ``dossier_name_folded_prefix``), in one
    query; and only when that finds fewer than a page (``SEARCH_CONTAINS_BELOW``), names
    containing the text elsewhere (trigram
    ``dossier_name_folded_trgm``: its posting lists for "ngu", "guy", "van"… hold millions of
    rows, 2–3 s at ten million dossiers; those names would rank after the ones starting with
    the text anyway, beyond the first page). Only that set is ranked and sorted: a
    two-word name matching 230,000 dossiers is no longer sorted whole. Beyond the cap the older
    matches of a kind are left out (the list says "hơn 1.000" and asks for more words).

    `unit_ids` (``user_unit_ids``; None: the whole tree): with a unit scope codes and numbers
    are looked for within the scope's dossiers (``_scope_conditions``: the unit indexes AND the
    match's index), so the visibility rule's OR is no longer tried on every row of the province;
    names among the scope's own dossiers, part by part (``scope_names`` below), the part its
    units lead from the one index that carries its names. `unfiltered`: `qs` is no more than
    ``dossiers_visible_to`` (the staff search page), so the parts, which together are the
    visibility rule, are read without its OR on top (with it PostgreSQL ANDs the province's
    names starting with the text with the unit's dossiers instead of reading them from the
    index: 80 ms for an agency's "nguyen van" at ten million, 35 ms without).
    """
    from django.db.models import Value
    from django.db.models.functions import Coalesce, StrIndex
    from django.db.models.lookups import GreaterThan

    from dossiers.search import parse

    found = search_match(text)
    if found is None:
        return qs.none()
    rank = found[1]
    query = parse(text)
    limit = _search_candidates()
    newest = (F("received_at").desc(nulls_last=True), F("id").desc())
    sources = [qs] if unit_ids is None else [qs.filter(part) for part in _scope_conditions(unit_ids)]

    def newest_ids(match: Q) -> set[int]:
        out: set[int] = set()
        for source in sources:
            out.update(source.filter(match).order_by(*newest).values_list("pk", flat=True)[:limit])
        return out

    def scope_names(condition) -> set[int]:
        """A unit scope's newest dossiers whose name meets `condition`, part by part of the
        scope (``_scope_conditions(led_apart=True)``). The part its units lead (most of it)
        from ``dossier_vis_resolving``, which carries the names; the other parts are usually a
        handful: their ids first, from their index alone, then only their rows. Sorted by an
        expression no index gives, so that PostgreSQL never walks the province's receipt order
        instead (ten million rows for a name that is not there: seconds)."""
        out: set[int] = set()
        base = Dossier.objects.all() if unfiltered else qs
        for i, part in enumerate(_scope_conditions(unit_ids, led_apart=True)):
            rows = base.filter(part)
            if i:
                few = list(Dossier.objects.filter(part).order_by().values_list("pk", flat=True)[:_SCAN_FEW + 1])
                if len(few) <= _SCAN_FEW:
                    rows = base.filter(pk__in=few)
            out.update(rows.filter(condition).order_by(Coalesce("received_at", Value(_EARLIEST)).desc(), F("id").desc())
                       .values_list("pk", flat=True)[:limit])
        return out

    # One query per source for what B-trees find (an OR of index ranges, a bitmap): a text is
    # never both a code's start and a name's or a number (codes hold dots, names no digits)
    indexed = Q(code__startswith=query.text.upper().replace(" ", ""))
    if query.id_number:
        indexed |= Q(applicant_id_number=query.id_number)
    if query.phone:
        indexed |= Q(applicant_phone_digits=query.phone)
    # a name holds no digit: a code, CCCD or phone is not looked for among the names
    named = bool(query.folded) and not any(ch.isdigit() for ch in query.folded)
    starts = Q(applicant_name_folded__startswith=query.folded)
    if named and unit_ids is None:
        indexed |= starts
    ids = newest_ids(indexed)
    if named and unit_ids is not None:
        # a unit's names from its own dossiers (an agency's "nguyen van": its 174,000 led
        # dossiers' names from one index, 100 → 35 ms at ten million), not the province's
        # 235,000 names starting with the text ANDed with the units' dossiers
        ids |= scope_names(starts)
    if named and len(ids) < min(limit, SEARCH_CONTAINS_BELOW):
        if unit_ids is None:
            ids |= newest_ids(Q(applicant_name_folded__contains=query.folded))
        else:
            # names containing the text: compared with strpos(), instead of building the
            # trigram index's bitmap of every name in the province that contains it
            ids |= scope_names(GreaterThan(StrIndex("applicant_name_folded", Value(query.folded)), 0))
    # only the candidates: the match's own condition again would make PostgreSQL read the
    # trigram index a second time instead of fetching these rows by primary key
    return qs.filter(pk__in=sorted(ids)).annotate(search_rank=rank).order_by("search_rank", *newest)


def dossiers_search(*, user, text: str) -> QuerySet[Dossier]:
    """Dossiers the user may see (``dossiers_visible_to``) that match the search, best first."""
    return search_ranked(dossiers_visible_to(user), text, unit_ids=user_unit_ids(user), unfiltered=True)


def count_capped(qs: QuerySet[Dossier], *, cap: int | None = None) -> tuple[int, bool]:
    """How many rows `qs` holds, counted up to `cap` (``COUNT_CAP``): (count, True) when there
    are more."""
    cap = COUNT_CAP if cap is None else cap
    n = qs.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def competent_units(*, procedure, day, q: str = ""):
    """The units that may be chosen as the competent unit of a dossier of ``procedure`` received
    on ``day`` (D19, ``dossiers.competence``): the named unit, or the People's Committees of the
    procedure's level valid that day, by name; ``q`` keeps those whose code or name (without
    diacritics) contains every word of it."""
    from dossiers import competence, reference
    from dossiers.search import fold

    facts = reference.unit_facts()
    if procedure.resolving_unit_id:
        units = [facts[procedure.resolving_unit_id]]
    else:
        units = competence.candidates(procedure.resolving_level, facts.values(), day)
    words = fold(q).split()
    if words:
        units = [u for u in units if all(w in f"{u.code.lower()} {fold(u.name)}" for w in words)]
    return units


# --- the API list ------------------------------------------------------------------------------

#: The API list's order (interfaces.md), group after group: open dossiers by due date (earliest
#: first), online submissions waiting for acceptance (oldest first), then every other one,
#: latest received first; within a group, latest received first. Each group is read in its own
#: order, which an index gives (``monitoring_open_due``/``dossier_state_due`` for the open
#: ones, ``dossier_received_order`` for the rest), and stops after a page: the single ORDER BY
#: of CASE expressions it replaces sorted every visible dossier (13.6 s at a million).
API_LIST_GROUPS: tuple[tuple[tuple[str, ...], tuple], ...] = (
    (tuple(sorted(OPEN_STATES)),
     (F("due_date").asc(nulls_last=True), F("received_at").desc(nulls_last=True), F("id").desc())),
    ((str(DossierState.SUBMITTED),),
     (F("submitted_at").asc(nulls_last=True), F("received_at").desc(nulls_last=True), F("id").desc())),
    (tuple(sorted(str(s) for s in DossierState.values if s not in OPEN_STATES and s != DossierState.SUBMITTED)),
     (F("received_at").desc(nulls_last=True), F("id").desc())),
)


def dossiers_urgent_page(qs: QuerySet[Dossier], *, offset: int, limit: int, states: set[str] | None = None,
                         narrow: bool = False, unit_ids: set[int] | None = None,
                         sizes: dict[int, int] | None = None) -> tuple[list[Dossier], bool]:
    """Rows ``[offset, offset + limit)`` of `qs` in the API list's order (``API_LIST_GROUPS``)
    and whether more follow. `states`: the only states `qs` can hold (a status filter), so that
    a group outside them is not read at all.

    Each group is one query with LIMIT (and OFFSET within it); a group wholly before the page is
    counted only up to the offset, so a page costs its depth, never the whole list.

    `narrow` (the list is filtered, e.g. by a receipt window): a group's rows are first looked
    for without order, at most ``COUNT_CAP + 1`` of them; when that finds them all, only they
    are sorted. Walking a group's index in its order and dropping what the filter refuses read
    80,000 open dossiers to find the last 60 days' ones (bench/bench_scale.py). With `unit_ids`
    the group is read part by part of the visibility rule (``dossiers_scoped_top``: each part on
    a unit index, whole when small, else its first rows down to the page): with more than
    ``COUNT_CAP`` matches the walk in the group's order tried the rule's OR on every open
    dossier of the province it passed (an agency's filtered list, 700 ms at ten million).
    `sizes`, when given, gets the number of rows of each group (by its index in
    ``API_LIST_GROUPS``) that was read whole on the way (:func:`urgent_page_count`)."""
    rows: list[Dossier] = []
    want, skip = limit + 1, offset
    for index, (group_states, order) in enumerate(API_LIST_GROUPS):
        if states is not None:
            group_states = tuple(s for s in group_states if s in states)
            if not group_states:
                continue
        part = qs.filter(state__in=group_states)
        if narrow and unit_ids is not None:
            whole: list[int] = []
            part = dossiers_scoped_top(part, unit_ids=unit_ids, ordering=order, depth=skip + want, whole=whole)
            if sizes is not None and min(whole, default=0) >= 0:
                sizes[index] = sum(whole)
        elif narrow:
            ids = list(part.order_by().values_list("pk", flat=True)[:COUNT_CAP + 1])
            if len(ids) <= COUNT_CAP:
                part = part.filter(pk__in=sorted(ids))
        part = part.order_by(*order)
        # the page's ids first, then its rows: the walk in the group's order reads only the
        # dossier table (an index-only scan of ``monitoring_open_due`` when the filters are on
        # the state and the receipt instant), not the joined rows of every dossier it drops
        ids = list(part.values_list("pk", flat=True)[skip:skip + want])
        by_id = {d.pk: d for d in part.filter(pk__in=ids)} if ids else {}
        got = [by_id[pk] for pk in ids if pk in by_id]
        if skip and not got:
            skip -= count_capped(part, cap=skip)[0]  # the whole group lies before the page
            continue
        skip = 0
        rows += got
        want -= len(got)
        if want <= 0:
            break
    return rows[:limit], len(rows) > limit


def urgent_page_count(sizes: dict[int, int], states: set[str] | None) -> tuple[int, bool] | None:
    """The filtered list's count as :func:`dossier_list_count` gives it, from the sizes of the
    groups :func:`dossiers_urgent_page` read whole, when it read every group the list can hold
    (None otherwise): a unit scope's filtered page and its count then read each part once."""
    wanted = [i for i, (group_states, _order) in enumerate(API_LIST_GROUPS)
              if states is None or any(s in states for s in group_states)]
    if any(i not in sizes for i in wanted):
        return None
    total = sum(sizes[i] for i in wanted)
    return min(total, COUNT_CAP), total > COUNT_CAP


def dossier_list_count(qs: QuerySet[Dossier], *, unit_ids: set[int] | None, filtered: bool) -> tuple[int, bool]:
    """How many dossiers the API list holds: (count, True) when it holds more than that.

    Unfiltered, the counted states (``COUNTED_STATES``) come exactly from the left menu's index
    counts (shared through the cache for a large scope) and the final ones, which pile up over
    the years, are counted up to ``COUNT_CAP`` part by part of the visibility rule (each a range
    of a unit index). Filtered: every row up to ``COUNT_CAP``, with a unit scope part by part
    too (`qs` carries the visibility rule's OR; each part adds a unit index to walk)."""
    if unit_ids is not None and not unit_ids:
        return 0, False
    if filtered:
        if unit_ids is None:
            return count_capped(qs)
        return _capped_sum(qs.filter(part) for part in _visible_conditions(unit_ids))
    counted = sum(dossier_counts_by_state_shared(unit_ids=unit_ids).values())
    final, capped = _capped_sum(part.filter(state__in=sorted(FINAL_STATES)) for part in _visible_parts(unit_ids))
    return counted + final, capped


def _capped_sum(parts) -> tuple[int, bool]:
    """``count_capped`` of the union of disjoint querysets, part by part."""
    total, capped = 0, False
    for part in parts:
        n, capped = count_capped(part, cap=COUNT_CAP - total)
        total += n
        if capped:  # once the cap is reached, a later part only says whether any row is left
            break
    return total, capped


# --- a unit scope's lists, part by part ----------------------------------------------------------


def dossiers_scoped_count(qs: QuerySet[Dossier], *, unit_ids: set[int], capped: bool = False) -> tuple[int, bool]:
    """How many rows of `qs` that a user with these units may see there are, counted part by
    part of the visibility rule (``_visible_conditions``: disjoint, each on a unit index)
    instead of trying the rule's OR on every row of the state: exactly, or up to ``COUNT_CAP``
    (`capped`). `qs` may be unrestricted (the parts are the rule) or already
    ``dossiers_visible_to`` (the same rows, at the cost of trying the OR again)."""
    parts = (qs.filter(part) for part in _visible_conditions(unit_ids))
    if capped:
        return _capped_sum(parts)
    return sum(part.count() for part in parts), False


def dossiers_scoped_top(qs: QuerySet[Dossier], *, unit_ids: set[int], ordering, depth: int,
                        whole: list[int] | None = None) -> QuerySet[Dossier]:
    """The rows of `qs` (as above) that the user may see, cut to the first `depth` in `ordering`
    (a queryset of them by primary key, so visible whatever `qs` was): each part of the visibility
    rule gives its own first `depth` (a unit index, then a short sort), and only their union is
    sorted. The rule's OR made PostgreSQL walk every returned dossier of the province to find a
    commune's (230,000 rows for a page at a million, bench/bench_scale.py).

    A part with at most ``COUNT_CAP`` rows gives them all, found without order: walking the
    list's order for a part that turns out (nearly) empty read the whole order. At ten million
    dossiers a commune leader's "đã trả kết quả" page walked all 8.7 million returned dossiers
    (25 s) for its "led here, held elsewhere" part, which is empty; an agency officer's "đang
    xử lý" every open dossier (1.6 s).

    `whole`, when given, gets each part's number of rows, or -1 for a part cut to `depth` (the
    parts are disjoint: when none was cut, their sum is the number of rows)."""
    ids: set[int] = set()
    for part in _visible_conditions(unit_ids):
        rows = qs.filter(part)
        few = list(rows.order_by().values_list("pk", flat=True)[:COUNT_CAP + 1])
        if len(few) <= COUNT_CAP:
            ids.update(few)
        else:
            ids.update(rows.order_by(*ordering).values_list("pk", flat=True)[:depth])
        if whole is not None:
            whole.append(len(few) if len(few) <= COUNT_CAP else -1)
    return qs.filter(pk__in=sorted(ids)).order_by(*ordering)
