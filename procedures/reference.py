"""The seven procedure categories, put back after a `flush` like the portal's own
reference rows (see portal/reference.py). Migration 0002 holds its own copy, as
migrations must not import app code."""

CATEGORIES = [
    ("code-versioning", "Code versioning (models, experiments, workflows)", "Версионирование кода (модели, эксперименты, пайплайны)"),
    ("dataset-versioning", "Dataset versioning", "Версионирование датасетов"),
    ("model-file-versioning", "Model-file versioning", "Версионирование файлов моделей"),
    ("environment-versioning", "Environment versioning", "Версионирование окружений"),
    ("metric-logging", "Metric logging", "Логирование метрик"),
    ("infrastructure-usage", "Infrastructure usage", "Использование инфраструктуры"),
    ("model-metric-monitoring", "Model-metric monitoring", "Мониторинг метрик моделей"),
]  # fmt: skip


def ensure_categories(sender, apps=None, using="default", **kwargs) -> None:
    if apps is None:
        from django.apps import apps
    try:
        Category = apps.get_model("procedures", "Category")
    except LookupError:
        return
    existing = set(Category.objects.using(using).values_list("slug", flat=True))
    Category.objects.using(using).bulk_create(
        [
            Category(slug=slug, name=name, name_ru=name_ru, order=order * 10)
            for order, (slug, name, name_ru) in enumerate(CATEGORIES, start=1)
            if slug not in existing
        ]
    )
