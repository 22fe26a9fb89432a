#!/usr/bin/env python
"""Benchmark: papers on a real object store (SeaweedFS) through gunicorn, and signing.

1. **Streaming**: one 20 MB scan (a PDF) uploaded to ``POST /api/v1/dossiers/{code}/documents/``
   against gunicorn with one sync worker; the worker's resident memory is sampled every 5 ms
   during the upload (``/proc/<pid>/status`` VmRSS). Target: the worker grows by < 100 MB.
2. **Concurrency**: 50 clients at once, each uploading its own 2 MB PDF (gunicorn ``-w 4 -k
   gthread --threads 8``, 2 cores). Target: no error; p50/p95/max reported; afterwards every
   object is re-hashed (``verify_documents``).
3. **Signing**: a 2 MB result PDF signed (PAdES) with a PKCS#12 key, and with a SoftHSM2 token
   when ``softhsm2-util`` is installed. Target: < 1 s each.

Uses a scratch PostgreSQL database ``onecua_bench_papers`` on the server of
``BENCH_DATABASE_URL`` / ``DATABASE_URL`` (dropped at the end) and the S3 store of
``DOCUMENT_S3_ENDPOINT_URL`` (+ keys), or starts SeaweedFS itself (scripts/seaweedfs.sh).

    .venv/bin/python bench/bench_papers.py [--concurrent 50] [--big-mb 20] [--small-mb 2]
Exit status 1 if a target is missed or a request failed.
"""
from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_intake import free_port  # noqa: E402
from bench.scratch import drop_database, recreate_database, scratch_url  # noqa: E402

SCRATCH_DB = "onecua_bench_papers"
HOST = "127.0.0.1"
RSS_TARGET_MB = 100
SIGN_TARGET_S = 1.0


def pdf_file(path: Path, size: int) -> None:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.Root.OneCuaFiller = pikepdf.Stream(pdf, os.urandom(size))
    pdf.save(path)


def serve(env: dict, workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    kind = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]
    proc = subprocess.Popen([str(gunicorn), "onecua.wsgi", "-b", f"{HOST}:{port}", "-w", str(workers), *kind,
                             "--timeout", "120", "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(120):
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def worker_pids(master: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().split()[3]) == master:
                    out.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def multipart_file(src: Path, fields: dict) -> tuple[Path, str]:
    """The multipart body on disk (so the client streams it too)."""
    boundary = uuid.uuid4().hex
    out = Path(tempfile.mkstemp(prefix="bench-body-")[1])
    with open(out, "wb") as fh:
        for k, v in fields.items():
            fh.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        fh.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{src.name}"\r\n'
                 f"Content-Type: application/pdf\r\n\r\n".encode())
        with open(src, "rb") as inp:
            while block := inp.read(1 << 20):
                fh.write(block)
        fh.write(f"\r\n--{boundary}--\r\n".encode())
    return out, boundary


def post_body(port: int, path: str, token: str, body: Path, boundary: str) -> tuple[int, float, bytes]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    with open(body, "rb") as fh:
        conn.request("POST", path, body=fh, headers={
            "Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(body.stat().st_size)})
        r = conn.getresponse()
        data = r.read()
    conn.close()
    return r.status, time.perf_counter() - start, data


def setup_world(env: dict) -> dict:
    """Units, a procedure with a checklist, a clerk with a token, and dossiers (in-process)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("documents_store_init", verbosity=0)
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from dossiers.models import Field, Procedure, StaffProfile, Unit
    from dossiers.roles import COUNTER_CLERK, role_group_name
    from dossiers.services.lifecycle import dossier_register

    centre = Unit.objects.create(code="000.00.01.H23", name="Trung tâm", level="province", kind="service_centre")
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency")
    proc = Procedure.objects.create(code="1.001193", name="Đăng ký khai sinh", field=Field.objects.create(name="Hộ tịch"),
                                    processing_time=5, time_unit="working_days", resolving_unit=justice,
                                    documents="Tờ khai\nGiấy chứng sinh\nCCCD")
    clerk = User.objects.create_user("bench-clerk", password="bench-mat-khau-2026")
    StaffProfile.objects.create(user=clerk, unit=centre)
    clerk.groups.add(Group.objects.get(name=role_group_name(COUNTER_CLERK)))
    token = Token.objects.create(user=clerk).key
    codes = [dossier_register(procedure=proc, receiving_unit=centre, channel="direct", actor=clerk,
                              applicant={"name": f"Người nộp {i}", "id_number": f"0170900{i:05d}"}).code
             for i in range(60)]
    return {"token": token, "codes": codes}


def sign_times(tmp: Path) -> dict:
    """Sign a 2 MB PDF with a PKCS#12 key, and with SoftHSM2 when present (same key)."""
    import shutil

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    from papers import signing
    from tests.papers.conftest import SOFTHSM_MODULE, _ca_and_signer

    ca = _ca_and_signer(tmp)
    src = tmp / "result-2mb.pdf"
    pdf_file(src, 2 * 1024 * 1024)
    p12 = tmp / "k.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"k", ca.key, ca.cert, [ca.ca], BestAvailableEncryption(b"pw")))
    configs = {"pkcs12": signing.KeyConfig("pkcs12", pkcs12_path=str(p12), secret="pw")}
    if shutil.which("softhsm2-util") and os.path.exists(SOFTHSM_MODULE):
        (tmp / "tokens").mkdir()
        conf = tmp / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {tmp / 'tokens'}\nobjectstore.backend = file\n")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench", "--so-pin", "87654321", "--pin",
                        "123456"], check=True, capture_output=True)
        key_pem = tmp / "key.pem"
        key_pem.write_bytes(ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
        subprocess.run(["softhsm2-util", "--import", str(key_pem), "--token", "bench", "--label", "k", "--id", "01",
                        "--pin", "123456"], check=True, capture_output=True)
        import pkcs11
        from pkcs11 import Attribute, CertificateType, ObjectClass

        with pkcs11.lib(SOFTHSM_MODULE).get_token(token_label="bench").open(rw=True, user_pin="123456") as s:
            s.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                             Attribute.TOKEN: True, Attribute.LABEL: "k", Attribute.ID: b"\x01",
                             Attribute.VALUE: ca.cert.public_bytes(serialization.Encoding.DER),
                             Attribute.SUBJECT: ca.cert.subject.public_bytes()})
        configs["pkcs11 (SoftHSM2)"] = signing.KeyConfig("pkcs11", module=SOFTHSM_MODULE, token="bench", key_label="k",
                                                         secret="123456")
    out = {}
    for name, config in configs.items():
        signing.sign_pdf(in_path=str(src), out_path=str(tmp / "warm.pdf"), config=config, reason="x", location="y")
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            signing.sign_pdf(in_path=str(src), out_path=str(tmp / "o.pdf"), config=config, reason="x", location="y")
            runs.append(time.perf_counter() - start)
        assert signing.validate_pdf(str(tmp / "o.pdf")).ok
        out[name] = statistics.median(runs)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--concurrent", type=int, default=50)
    ap.add_argument("--big-mb", type=int, default=20)
    ap.add_argument("--small-mb", type=int, default=2)
    args = ap.parse_args(argv)
    failures: list[str] = []
    weed_dir = None
    s3 = {k: os.environ.get(k, "") for k in ("DOCUMENT_S3_ENDPOINT_URL", "DOCUMENT_S3_ACCESS_KEY", "DOCUMENT_S3_SECRET_KEY")}
    if not s3["DOCUMENT_S3_ENDPOINT_URL"]:
        out = subprocess.run(["bash", "scripts/seaweedfs.sh", "start"], cwd=ROOT, capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            for pair in line.removeprefix("export ").split():
                k, v = pair.split("=", 1)
                if k.startswith("DOCUMENT_S3_"):
                    s3[k] = v
                if k == "SEAWEEDFS_DIR":
                    weed_dir = v
    url = scratch_url(SCRATCH_DB)  # on the server of BENCH_DATABASE_URL / DATABASE_URL
    recreate_database(url)
    env = {**os.environ, **s3, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "bench-papers-not-secret",
           "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "ERROR",
           "DOCUMENT_STORE": "s3", "DOCUMENT_S3_BUCKET": f"bench-{uuid.uuid4().hex[:8]}",
           "DOCUMENT_MAX_BYTES": str((args.big_mb + 1) * 1024 * 1024), "CONN_MAX_AGE": "60",
           "SECURE_HSTS_SECONDS": "0", "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false"}
    server = None
    try:
        world = setup_world(env)
        tmp = Path(tempfile.mkdtemp(prefix="bench-papers-"))
        # 1. streaming
        big = tmp / "scan-20mb.pdf"
        pdf_file(big, args.big_mb * 1024 * 1024)
        warm = tmp / "warm.pdf"
        pdf_file(warm, 100_000)
        server, port = serve(env, workers=1, threads=1)
        path = f"/api/v1/dossiers/{world['codes'][0]}/documents/"
        body, b = multipart_file(warm, {"kind": "application", "checklist_item": 1, "origin": "scanned"})
        for _ in range(3):
            post_body(port, path, world["token"], body, b)
        pid = worker_pids(server.pid)[0]
        base = rss_mb(pid)
        peak = [base]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mb(pid))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        body, b = multipart_file(big, {"kind": "application", "checklist_item": 2, "origin": "scanned"})
        status, took, data = post_body(port, path, world["token"], body, b)
        stop.set()
        sampler.join()
        grew = peak[0] - base
        print(f"20 MB upload: {status} in {took:.2f} s; worker RSS {base:.0f} MB before, peak {peak[0]:.0f} MB "
              f"(+{grew:.0f} MB; target < {RSS_TARGET_MB} MB)")
        if status != 201:
            failures.append(f"20 MB upload answered {status}: {data[:200]!r}")
        if grew >= RSS_TARGET_MB:
            failures.append(f"worker grew by {grew:.0f} MB during a {args.big_mb} MB upload")
        server.terminate()
        server.wait(30)
        # 2. concurrency
        server, port = serve(env, workers=4, threads=8)
        bodies = []
        for i in range(args.concurrent):
            f = tmp / f"small-{i}.pdf"
            pdf_file(f, args.small_mb * 1024 * 1024)
            code = world["codes"][1 + i % (len(world["codes"]) - 1)]
            body, b = multipart_file(f, {"kind": "application", "checklist_item": 1 + i % 3, "origin": "scanned"})
            bodies.append((f"/api/v1/dossiers/{code}/documents/", body, b))
        post_body(port, bodies[0][0], world["token"], *bodies[0][1:])  # warm
        barrier = threading.Barrier(args.concurrent)

        def one(item):
            barrier.wait()
            return post_body(port, item[0], world["token"], item[1], item[2])

        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrent) as pool:
            results = list(pool.map(one, bodies))
        wall = time.perf_counter() - started
        times = sorted(r[1] for r in results)
        errors = [r for r in results if r[0] != 201]
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        print(f"{args.concurrent} concurrent {args.small_mb} MB uploads: {len(errors)} errors; "
              f"p50 {statistics.median(times):.2f} s, p95 {p95:.2f} s, max {times[-1]:.2f} s; all done in {wall:.2f} s "
              f"({args.concurrent * args.small_mb / wall:.1f} MB/s)")
        if errors:
            failures.append(f"{len(errors)} concurrent uploads failed: {errors[0][0]} {errors[0][2][:200]!r}")
        from papers.services import documents_verify

        report = documents_verify()
        print(f"verify_documents: checked {report.checked}, {len(report.missing)} missing, {len(report.changed)} changed")
        if report.missing or report.changed:
            failures.append("stored objects missing or changed")
        # 3. signing
        for name, secs in sign_times(tmp).items():
            print(f"signing a 2 MB PDF ({name}): median {secs * 1000:.0f} ms (target < {SIGN_TARGET_S * 1000:.0f} ms)")
            if secs >= SIGN_TARGET_S:
                failures.append(f"signing with {name} took {secs:.2f} s")
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        from django.db import connections

        connections.close_all()
        drop_database(url)
        if weed_dir:
            subprocess.run(["bash", "scripts/seaweedfs.sh", "stop", weed_dir], cwd=ROOT)
    if failures:
        print("FAILED:", *failures, sep="\n  ")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
