"""Back up and restore the object store of documents (README "Operations").

    manage.py documents_backup dump DIR      every stored object a document row names → DIR/<key>,
                                              with DIR/manifest.json {key: {sha256, size}}
    manage.py documents_backup restore DIR   DIR's objects → the configured store (same keys)
    manage.py documents_backup drop-scratch  empty and remove the configured store, only when it
                                              is a scratch one (bucket or folder named *-restore-*)

The database and the objects are backed up together: dump the database first, then the objects
(an object written in between has no row in the dump and is simply not needed).
"""
import json
import os
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers import storage
from papers.models import Document


class Command(BaseCommand):
    help = "Sao lưu / khôi phục kho lưu trữ giấy tờ số hóa."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["dump", "restore", "drop-scratch"])
        parser.add_argument("folder", nargs="?")

    def handle(self, *args, action, folder=None, **options):
        if action == "drop-scratch":
            return self.drop_scratch()
        if not folder:
            raise CommandError("give the backup folder")
        root = Path(folder)
        if action == "dump":
            root.mkdir(parents=True, exist_ok=True)
            manifest = {}
            for key, sha, size in Document.objects.values_list("key", "sha256", "size").distinct().order_by("key"):
                target = root / key
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    got = storage.to_file(key, fh)
                if got != sha:
                    raise CommandError(f"{key}: stored bytes differ from the database (sha256 {got})")
                manifest[key] = {"sha256": sha, "size": size}
            (root / "manifest.json").write_text(json.dumps(manifest, indent=1))
            self.stdout.write(f"dumped {len(manifest)} objects to {root}")
        else:
            storage.ensure_bucket()
            manifest = json.loads((root / "manifest.json").read_text())
            for key in manifest:
                storage.save(key, str(root / key))
            self.stdout.write(f"restored {len(manifest)} objects")

    def drop_scratch(self):
        s = storage.store()
        if storage.is_s3():
            if "-restore-" not in s.bucket_name:
                raise CommandError("not a scratch bucket")
            client = s.connection.meta.client
            for key, _ in storage.keys_with_times(""):
                client.delete_object(Bucket=s.bucket_name, Key=key)
            client.delete_bucket(Bucket=s.bucket_name)
        else:
            location = str(s.location)
            if "-restore-" not in os.path.basename(location.rstrip("/")):
                raise CommandError("not a scratch folder")
            shutil.rmtree(location, ignore_errors=True)
        self.stdout.write("scratch store removed")
