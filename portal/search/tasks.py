from celery import shared_task


@shared_task(name="portal.search_reindex", ignore_result=True)
def search_reindex() -> dict:
    """Nightly rebuild: a version scheduled for a later date becomes current without
    any write, and this is when the index learns of it."""
    from portal.search import search_reindex_all

    return search_reindex_all()
