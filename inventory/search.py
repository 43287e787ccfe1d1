"""How nodes, GPUs and software components appear in the portal's search.

The reconciler writes in bulk, which sends no per-row signals; it saves one SyncRun
at the end, so that save is where the cluster's entries are re-read (only when the
sync changed something). Items that are gone leave the index."""

from __future__ import annotations

from django.db.models import Case, F, Func, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat, NullIf
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from inventory.choices import ComponentCategory
from inventory.models import Component, Gpu, Node, SyncRun
from portal.elements import ElementCode
from portal.registry import SearchProvider, registry
from portal.search import SearchDocument, search_refresh_on_commit
from portal.search.kinds import KIND_LABELS

KIND_NODE = "node"
KIND_GPU = "gpu"
KIND_COMPONENT = "component"


def _select(queryset, ids):
    return queryset.filter(pk__in=ids) if ids is not None else queryset


def _select_many(queryset, ids):
    """``_select`` for the SQL path, where a sync hands over tens of thousands of ids:
    one array parameter instead of one prepared parameter per id."""
    if ids is None:
        return queryset
    return queryset.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [list(ids)]))


def node_documents(ids):
    nodes = _select(Node.objects.present().select_related("cluster").order_by("pk"), ids)
    for node in nodes.iterator(chunk_size=1000):
        body = " ".join(
            str(v)
            for v in (
                node.cluster.name,
                node.gpu_product,
                node.driver_version_label,
                node.os_image,
                node.kernel_version,
                node.kubelet_version,
                node.container_runtime,
                " ".join(node.roles or []),
            )
            if v
        )
        yield SearchDocument(
            object_id=node.pk,
            url=reverse("inventory:node-detail", args=[node.pk]),
            title=node.name,
            body=body,
            elements=[ElementCode.HARDWARE],
            updated_at=node.changed_at,
            status="ready" if node.ready else "not_ready",
        )


def _url_around_pk(name: str) -> tuple[str, str]:
    """The parts of a detail URL before and after its primary key."""
    marker = 987654321
    before, after = reverse(name, args=[marker]).split(str(marker))
    return before, after


def _words(*values):
    """concat_ws(' ', …) of the non-empty values: what " ".join(v for v in … if v) is."""
    return Func(
        *(NullIf(v, Value("")) for v in values),
        function="concat_ws",
        template="%(function)s(' ', %(expressions)s)",
        output_field=TextField(),
    )


def _pk_text():
    return Cast("pk", output_field=TextField())


def node_rows(ids):
    """node_documents as one query, for the index's SQL path (PostgreSQL)."""
    before, after = _url_around_pk("inventory:node-detail")
    roles = RawSQL(
        "array_to_string(ARRAY(SELECT jsonb_array_elements_text(inventory_node.roles)), ' ')",
        [],
        output_field=TextField(),
    )
    return _select_many(Node.objects.present(), ids).annotate(
        object_id=_pk_text(),
        url=Concat(Value(before), _pk_text(), Value(after), output_field=TextField()),
        title=F("name"),
        body=_words(
            F("cluster__name"),
            F("gpu_product"),
            F("driver_version_label"),
            F("os_image"),
            F("kernel_version"),
            F("kubelet_version"),
            F("container_runtime"),
            roles,
        ),
        elements=Value(f"|{ElementCode.HARDWARE}|", output_field=TextField()),
        status=Case(When(ready=True, then=Value("ready")), default=Value("not_ready")),
        updated_at=F("changed_at"),
    )


def gpu_rows(ids):
    """gpu_documents as one query, for the index's SQL path (PostgreSQL)."""
    before, after = _url_around_pk("inventory:node-detail")
    listing = reverse("inventory:gpu-list")
    node_id = Cast("node_id", output_field=TextField())
    return _select_many(Gpu.objects.present(), ids).annotate(
        object_id=_pk_text(),
        # A GPU UUID is letters, digits and dashes: nothing to encode in the query.
        url=Case(
            When(
                node_id__isnull=False,
                then=Concat(Value(before), node_id, Value(after), output_field=TextField()),
            ),
            default=Concat(Value(f"{listing}?uuid="), F("uuid"), output_field=TextField()),
        ),
        title=Concat(
            F("product"),
            Value(" — "),
            F("node_name"),
            Value(" #"),
            Cast("index", output_field=TextField()),
            output_field=TextField(),
        ),
        body=_words(F("uuid"), F("cluster__name"), F("driver_version"), F("cuda_version")),
        elements=Value(f"|{ElementCode.HARDWARE}|", output_field=TextField()),
        status=Case(When(idle_since__isnull=False, then=Value("idle")), default=Value("")),
        updated_at=F("changed_at"),
    )


def gpu_documents(ids):
    gpus = _select(Gpu.objects.present().select_related("cluster").order_by("pk"), ids)
    gpu_list = reverse("inventory:gpu-list")
    for gpu in gpus.iterator(chunk_size=1000):
        url = (
            reverse("inventory:node-detail", args=[gpu.node_id])
            if gpu.node_id
            else f"{gpu_list}?{urlencode({'uuid': gpu.uuid})}"
        )
        yield SearchDocument(
            object_id=gpu.pk,
            url=url,
            title=f"{gpu.product} — {gpu.node_name} #{gpu.index}",
            body=" ".join(
                v for v in (gpu.uuid, gpu.cluster.name, gpu.driver_version, gpu.cuda_version) if v
            ),
            elements=[ElementCode.HARDWARE],
            updated_at=gpu.changed_at,
            status="idle" if gpu.idle_since else "",
        )


def component_documents(ids):
    components = _select(Component.objects.present().select_related("cluster").order_by("pk"), ids)
    listing = reverse("inventory:component-list")
    for component in components.iterator(chunk_size=1000):
        yield SearchDocument(
            object_id=component.pk,
            url=f"{listing}?{urlencode({'q': component.name})}",
            title=f"{component.name} {component.version}".strip(),
            body=" ".join(
                [
                    component.cluster.name,
                    component.namespace,
                    component.kind,
                    component.workload_name,
                    *component.images,
                ]
            ),
            elements=[ElementCode.SOFTWARE],
            updated_at=component.changed_at,
            status=component.category,
        )


def _sync_saved(sender, instance, **kwargs) -> None:
    if not (instance.added or instance.changed or instance.gone):
        return  # nothing the index shows has changed
    # The reconciler hands over the ids it touched (gone ones included: refreshing
    # them is what removes them), so a sync re-reads only what changed, never the
    # whole cluster; a SyncRun saved elsewhere falls back to the cluster.
    changed = getattr(instance, "changed_ids", None)
    for kind, model in ((KIND_NODE, Node), (KIND_GPU, Gpu), (KIND_COMPONENT, Component)):
        if changed is not None:
            ids = changed.get(kind, ())
        else:
            ids = model.objects.filter(cluster_id=instance.cluster_id).values_list("pk", flat=True)
        search_refresh_on_commit(kind, ids)


def register() -> None:
    for kind, documents, rows, label, order in (
        (KIND_NODE, node_documents, node_rows, KIND_LABELS[KIND_NODE], 40),
        (KIND_GPU, gpu_documents, gpu_rows, KIND_LABELS[KIND_GPU], 41),
        (KIND_COMPONENT, component_documents, None, KIND_LABELS[KIND_COMPONENT], 42),
    ):
        registry.add_search_provider(
            SearchProvider(kind=kind, label=label, documents=documents, order=order, rows=rows)
        )
    registry.add_status_labels(KIND_NODE, {"ready": _("Ready"), "not_ready": _("Not ready")})
    registry.add_status_labels(KIND_GPU, {"idle": _("idle")})
    registry.add_status_labels(KIND_COMPONENT, dict(ComponentCategory.choices))
    registry.add_badge_tones({"ready": "ok", "not_ready": "bad", "idle": "warn"})
    post_save.connect(_sync_saved, sender=SyncRun, dispatch_uid="search-inventory-sync")
