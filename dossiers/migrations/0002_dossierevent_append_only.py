"""The dossier history cannot be rewritten: the database refuses UPDATE and DELETE on
``dossiers_dossierevent`` (domain: the history is append-only; the control sheet Mẫu 05 and the
reports are read from it).

PostgreSQL: a ``BEFORE UPDATE OR DELETE … FOR EACH ROW`` trigger raises ``restrict_violation``
(Django: ``IntegrityError``). Consequences:

* a dossier that has history cannot be deleted (the cascade to its events is refused);
* TRUNCATE is not a row operation and still works (test flushes, a deliberate wipe by the
  database owner); the owner may also ``ALTER TABLE … DISABLE TRIGGER`` for a documented repair;
* one UPDATE stays allowed: ``actor_id`` set to NULL with every other column unchanged, which is
  what deleting a staff account does (``on_delete=SET_NULL``; ``actor_name`` keeps the name).

SQLite (development, demo): the same rule for UPDATE only. Django flushes SQLite tables with
``DELETE FROM`` in no fixed order, so a DELETE trigger would break transactional tests there.
"""
from django.db import migrations

PG_FUNCTION = "dossiers_dossierevent_append_only"
PG_TRIGGER = "dossiers_dossierevent_append_only"
SQLITE_TRIGGER = "dossiers_dossierevent_no_update"
MESSAGE = "dossiers_dossierevent is append-only: the dossier history cannot be changed or deleted"

PG_INSTALL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- a deleted staff account (on_delete=SET_NULL); actor_name stays
    END IF;
    RAISE EXCEPTION '{MESSAGE} (% of event %)', TG_OP, OLD.id USING ERRCODE = 'restrict_violation';
END;
$$;
DROP TRIGGER IF EXISTS {PG_TRIGGER} ON dossiers_dossierevent;
CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON dossiers_dossierevent
    FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}();
"""
PG_REMOVE = f"""
DROP TRIGGER IF EXISTS {PG_TRIGGER} ON dossiers_dossierevent;
DROP FUNCTION IF EXISTS {PG_FUNCTION}();
"""

#: columns that must not change when actor_id is set to NULL (the SET_NULL exception)
_KEPT = ("id", "dossier_id", "at", "action", "from_state", "to_state", "actor_name", "unit_id", "to_unit_id",
         "note", "due_date", "data")
SQLITE_INSTALL = f"""
CREATE TRIGGER IF NOT EXISTS {SQLITE_TRIGGER} BEFORE UPDATE ON dossiers_dossierevent
WHEN NOT (NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in _KEPT)})
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_REMOVE = f"DROP TRIGGER IF EXISTS {SQLITE_TRIGGER};"


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_INSTALL, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
