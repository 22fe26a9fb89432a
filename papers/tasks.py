from celery import shared_task


@shared_task(name="papers.orphans_remove")
def orphans_remove_task() -> int:
    """Delete stored objects without a document row, older than DOCUMENT_ORPHAN_HOURS."""
    from papers.services import orphans_remove

    return len(orphans_remove())
