"""Sites, stores, datasets and links in the portal's search. Writes go through the
services one row at a time, so post_save/post_delete keep the index current."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from data.models import Dataset, DataStore, NetworkLink, Site
from portal.elements import ElementCode
from portal.registry import SearchProvider, registry
from portal.search import SearchDocument, search_refresh_on_commit

KIND_DATASET = "dataset"
KIND_STORE = "data_store"
KIND_SITE = "site"
KIND_LINK = "network_link"


def _select(qs, ids):
    return qs.filter(pk__in=ids) if ids is not None else qs


def _words(*values) -> str:
    return " ".join(str(v) for v in values if v)


def dataset_documents(ids):
    qs = _select(Dataset.objects.select_related("store", "store__site").order_by("pk"), ids)
    for d in qs.iterator(chunk_size=1000):
        yield SearchDocument(
            object_id=d.pk,
            url=d.get_absolute_url(),
            title=d.name,
            body=_words(
                d.path,
                d.format,
                d.store.name,
                d.store.site.name if d.store.site else "",
                d.get_versioning_display(),
                d.version_ref,
                d.owner_role,
                " ".join(d.used_by or []),
                d.description,
            ),
            elements=[ElementCode.DATA],
            updated_at=d.updated_at,
            status=d.get_versioning_display(),
        )


def store_documents(ids):
    qs = _select(DataStore.objects.select_related("site").order_by("pk"), ids)
    for s in qs.iterator(chunk_size=1000):
        yield SearchDocument(
            object_id=s.pk,
            url=s.get_absolute_url(),
            title=s.name,
            body=_words(
                s.get_kind_display(),
                s.site.name if s.site else "",
                s.endpoint,
                s.owner_role,
                s.description,
            ),
            elements=[ElementCode.DATA],
            updated_at=s.updated_at,
            status=s.get_kind_display(),
        )


def site_documents(ids):
    for s in _select(Site.objects.order_by("pk"), ids).iterator(chunk_size=1000):
        yield SearchDocument(
            object_id=s.pk,
            url=s.get_absolute_url(),
            title=s.name,
            body=_words(s.get_kind_display(), s.location, s.description),
            elements=[ElementCode.DATA, ElementCode.NETWORKS],
            updated_at=s.updated_at,
            status=s.get_kind_display(),
        )


def link_documents(ids):
    qs = _select(NetworkLink.objects.select_related("site_a", "site_b").order_by("pk"), ids)
    for link in qs.iterator(chunk_size=1000):
        yield SearchDocument(
            object_id=link.pk,
            url=link.get_absolute_url(),
            title=str(link),
            body=_words(
                link.site_a.name,
                link.site_b.name,
                f"{link.bandwidth_gbps:g} Gbit/s",
                "dedicated" if link.dedicated else "shared",
                link.measured_how,
                link.description,
            ),
            elements=[ElementCode.NETWORKS],
            updated_at=link.updated_at,
            status=f"{link.effective_gbps:g} Gbit/s",
        )


PROVIDERS = (
    (KIND_DATASET, _("Datasets"), dataset_documents, Dataset, 50),
    (KIND_STORE, _("Data stores"), store_documents, DataStore, 51),
    (KIND_SITE, _("Sites"), site_documents, Site, 52),
    (KIND_LINK, _("Network links"), link_documents, NetworkLink, 53),
)


def _refresher(kind):
    def refresh(sender, instance, **kwargs):
        search_refresh_on_commit(kind, [instance.pk])
        # Datasets are found by their store's and site's names too.
        if kind == KIND_STORE and kwargs.get("signal") is post_save:
            ids = Dataset.objects.filter(store_id=instance.pk).values_list("pk", flat=True)
            search_refresh_on_commit(KIND_DATASET, ids)
        elif kind == KIND_SITE and kwargs.get("signal") is post_save:
            ids = Dataset.objects.filter(store__site_id=instance.pk).values_list("pk", flat=True)
            search_refresh_on_commit(KIND_DATASET, ids)
            stores = DataStore.objects.filter(site_id=instance.pk).values_list("pk", flat=True)
            search_refresh_on_commit(KIND_STORE, stores)

    return refresh


def register() -> None:
    for kind, label, documents, model, order in PROVIDERS:
        registry.add_search_provider(
            SearchProvider(kind=kind, label=label, documents=documents, order=order)
        )
        handler = _refresher(kind)
        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"search-{kind}-save")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"search-{kind}-delete")
