"""How nodes, GPUs and software components appear in the portal's search.

The reconciler writes in bulk, which sends no per-row signals; it saves one SyncRun
at the end, so that save is where the cluster's entries are re-read (only when the
sync changed something). Items that are gone leave the index."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from inventory.choices import ComponentCategory
from portal.elements import ElementCode
from portal.registry import SearchProvider, registry
from portal.search import SearchDocument, search_refresh_on_commit
from portal.search.kinds import KIND_LABELS

try:
    from inventory.models import Component, Gpu, Node, SyncRun
except ImportError:  # the app's models are not there yet: nothing to index
    Component = Gpu = Node = SyncRun = None

KIND_NODE = "node"
KIND_GPU = "gpu"
KIND_COMPONENT = "component"


def _select(queryset, ids):
    return queryset.filter(pk__in=ids) if ids is not None else queryset


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
                    component.category,
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


if Node is not None:
    for kind, documents, label, order in (
        (KIND_NODE, node_documents, KIND_LABELS[KIND_NODE], 40),
        (KIND_GPU, gpu_documents, KIND_LABELS[KIND_GPU], 41),
        (KIND_COMPONENT, component_documents, KIND_LABELS[KIND_COMPONENT], 42),
    ):
        registry.add_search_provider(
            SearchProvider(kind=kind, label=label, documents=documents, order=order)
        )
    registry.add_status_labels(KIND_NODE, {"ready": _("Ready"), "not_ready": _("Not ready")})
    registry.add_status_labels(KIND_GPU, {"idle": _("idle")})
    registry.add_status_labels(KIND_COMPONENT, dict(ComponentCategory.choices))
    post_save.connect(_sync_saved, sender=SyncRun, dispatch_uid="search-inventory-sync")
