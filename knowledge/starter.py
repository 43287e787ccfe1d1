"""Starter content for a new portal: the roles of an ML platform team, the activities
of its procedures with their RACI letters, three founding decisions and an onboarding
track per role. Run by ``manage.py seed_portal``; running it again adds only what is
missing and never overwrites what the team has changed."""

from __future__ import annotations

import datetime
import os
from functools import partial

from knowledge.choices import AdrStatus, Phase, StepKind
from knowledge.models import Activity, Adr, Role, Track, TrackStep

# slug, name, name_ru, Keycloak group, description, description in Russian (the role
# has one description: the starter language picks which one is stored)
ROLES = [
    ("data-scientist", "Data scientist", "Специалист по данным", "/data-science",
     "Explores data, trains and evaluates models, logs experiments.",
     "Исследует данные, обучает и оценивает модели, логирует эксперименты."),
    ("ml-engineer", "ML engineer", "ML-инженер", "/ml/ml-engineers",
     "Turns experiments into reproducible training and serving code.",
     "Превращает эксперименты в воспроизводимый код обучения и сервинга."),
    ("mlops-engineer", "MLOps engineer", "MLOps-инженер", "/platform/mlops",
     "Runs the ML platform: tracking, registry, pipelines, GPU scheduling.",
     "Эксплуатирует ML-платформу: трекинг, реестр моделей, пайплайны, планирование GPU."),
    ("data-engineer", "Data engineer", "Инженер данных", "/data/engineers",
     "Builds and versions the datasets and their pipelines.",
     "Строит и версионирует датасеты и их пайплайны."),
    ("devops-engineer", "DevOps engineer", "DevOps-инженер", "/platform/devops",
     "Keeps the Kubernetes clusters, GPU nodes, networks and CI running.",
     "Поддерживает в рабочем состоянии кластеры Kubernetes, GPU-узлы, сети и CI."),
    ("backend-developer", "Backend developer", "Бэкенд-разработчик", "/dev/backend",
     "Integrates served models into the products.",
     "Встраивает модели, развёрнутые на платформе, в продукты."),
    ("team-lead", "Team lead", "Руководитель команды", "/ml/leads",
     "Owns priorities and approves procedures and decisions.",
     "Отвечает за приоритеты, утверждает регламенты и решения."),
]  # fmt: skip

# Who decided the founding decisions, and the note on their acceptance, per language.
ADR_DECIDERS = {"en": ["Team lead"], "ru": ["Руководитель команды"]}
ADR_ACCEPT_NOTE = {"en": "starter content", "ru": "стартовое содержимое портала"}

# slug, name, name_ru, elements, procedure slug, {role slug: letter}
ACTIVITIES = [
    ("version-datasets", "Version datasets", "Версионировать датасеты", ["data", "procedures"],
     "dataset-versioning",
     {"data-engineer": "R", "team-lead": "A", "data-scientist": "C", "mlops-engineer": "C", "ml-engineer": "I"}),
    ("version-model-files", "Version model files", "Версионировать файлы моделей", ["data", "software"],
     "model-file-versioning",
     {"ml-engineer": "R", "mlops-engineer": "A", "data-scientist": "C", "backend-developer": "I"}),
    ("version-code", "Version code of models and pipelines", "Версионировать код моделей и пайплайнов",
     ["software", "procedures"], "code-versioning",
     {"ml-engineer": "R", "data-scientist": "R", "team-lead": "A", "devops-engineer": "C"}),
    ("version-environments", "Version environments", "Версионировать окружения", ["software"],
     "environment-versioning",
     {"mlops-engineer": "R", "devops-engineer": "A", "ml-engineer": "C", "data-scientist": "I"}),
    ("log-metrics", "Log experiment metrics", "Логировать метрики экспериментов", ["data", "knowledge"],
     "metric-logging",
     {"data-scientist": "R", "ml-engineer": "R", "mlops-engineer": "A", "team-lead": "I"}),
    ("deploy-models", "Deploy models", "Развёртывать модели", ["software"], "",
     {"ml-engineer": "R", "mlops-engineer": "A", "backend-developer": "C", "devops-engineer": "C", "team-lead": "I"}),
    ("keep-gpu-nodes-schedulable", "Keep GPU nodes schedulable", "Поддерживать GPU-узлы доступными для планировщика",
     ["hardware", "software"], "infrastructure-usage",
     {"devops-engineer": "R", "mlops-engineer": "A", "ml-engineer": "I", "data-scientist": "I"}),
    ("monitor-model-metrics", "Monitor model metrics in production", "Мониторить метрики моделей в эксплуатации",
     ["data", "software"], "model-metric-monitoring",
     {"mlops-engineer": "R", "ml-engineer": "A", "data-scientist": "C", "backend-developer": "I", "team-lead": "I"}),
    ("manage-access", "Manage access to the platform", "Управлять доступом к платформе", ["people", "networks"], "",
     {"mlops-engineer": "R", "devops-engineer": "A", "team-lead": "C"}),
    ("review-procedures", "Review procedures", "Пересматривать регламенты", ["procedures", "knowledge"], "",
     {"team-lead": "A", "mlops-engineer": "R", "ml-engineer": "C", "data-scientist": "C", "devops-engineer": "I"}),
    ("record-decisions", "Record architecture decisions", "Фиксировать архитектурные решения", ["knowledge"], "",
     {"mlops-engineer": "R", "team-lead": "A", "ml-engineer": "C", "devops-engineer": "C", "backend-developer": "I"}),
    ("onboard-engineers", "Onboard new engineers", "Вводить в работу новых инженеров", ["people", "knowledge"], "",
     {"team-lead": "A", "mlops-engineer": "R", "data-scientist": "C", "ml-engineer": "C"}),
]  # fmt: skip

# What each founding decision is about, whatever the starter language.
ADR_SUBJECTS = [
    {
        "tags": ["mlflow", "experiment-tracking"],
        "procedures": ["metric-logging", "model-file-versioning"],
        "elements": ["software", "data", "knowledge"],
    },
    {"tags": ["sso", "security"], "elements": ["people", "software", "networks"]},
    {
        "tags": ["gpu", "kubernetes"],
        "procedures": ["infrastructure-usage"],
        "elements": ["hardware", "software"],
    },
]

# The founding decisions' text in each starter language, in ADR_SUBJECTS' order.
ADRS = {
    "en": [
        {
            "title": "Use MLflow as the experiment tracker and model registry",
            "context": "Experiments are logged in notebooks, spreadsheets and chat. Nobody can tell which run produced the model in production, and comparing runs takes a day.",
            "drivers": "* One place for parameters, metrics and artefacts of every run\n* A model registry with stages and lineage to the run\n* Self-hosted: the cluster is air-gapped",
            "options": "* MLflow\n* ClearML\n* Weights & Biases (self-hosted)",
            "outcome": 'Chosen option: "MLflow", because it is open source, runs in the cluster with PostgreSQL and S3-compatible storage, and its registry is what our serving tools read.',
            "consequences": "* Good, because every run is comparable and traceable to a registered model\n* Bad, because we operate the tracking server and its database ourselves",
            "confirmation": "Training pipelines fail review if they do not log to MLflow.",
        },
        {
            "title": "Keycloak for single sign-on",
            "context": "Each platform tool (MLflow, Grafana, Airflow, the portal) has its own accounts. Leavers keep access and roles drift.",
            "options": "* Keycloak\n* Dex\n* Per-tool local accounts",
            "outcome": 'Chosen option: "Keycloak", because it speaks OIDC to all our tools, maps groups to roles and runs on-premises.',
            "consequences": "* Good, because access is granted and revoked in one place\n* Bad, because Keycloak becomes a critical service that needs backups and upgrades",
        },
        {
            "title": "GPU Operator to expose GPUs to Kubernetes",
            "context": "GPU nodes are set up by hand: drivers, container toolkit and device plugin versions differ between nodes, and some nodes silently expose no GPUs to the scheduler.",
            "options": "* NVIDIA GPU Operator\n* Drivers in the node image plus the device plugin DaemonSet",
            "outcome": 'Chosen option: "NVIDIA GPU Operator", because it installs and upgrades the driver, toolkit, device plugin, GPU Feature Discovery and DCGM exporter together.',
            "consequences": "* Good, because every GPU node is labelled and schedulable the same way\n* Bad, because driver upgrades follow the operator's release cycle",
        },
    ],
    "ru": [
        {
            "title": "MLflow как трекер экспериментов и реестр моделей",
            "context": "Эксперименты записываются в ноутбуках, таблицах и чатах. Никто не может сказать, какой запуск породил модель в эксплуатации, а сравнение запусков занимает день.",
            "drivers": "* Одно место для параметров, метрик и артефактов каждого запуска\n* Реестр моделей со стадиями и связью с запуском\n* Только self-hosted: кластер изолирован от интернета",
            "options": "* MLflow\n* ClearML\n* Weights & Biases (self-hosted)",
            "outcome": "Выбран вариант «MLflow»: открытый код, работает в кластере с PostgreSQL и S3-совместимым хранилищем, его реестр читают наши инструменты сервинга.",
            "consequences": "* Хорошо: каждый запуск сравним и прослеживается до зарегистрированной модели\n* Плохо: сервер трекинга и его базу мы эксплуатируем сами",
            "confirmation": "Пайплайны обучения не проходят ревью, если не логируют в MLflow.",
        },
        {
            "title": "Keycloak для единого входа",
            "context": "У каждого инструмента платформы (MLflow, Grafana, Airflow, портал) свои учётные записи. Уволившиеся сохраняют доступ, роли расходятся.",
            "options": "* Keycloak\n* Dex\n* Локальные учётные записи в каждом инструменте",
            "outcome": "Выбран вариант «Keycloak»: он говорит по OIDC со всеми нашими инструментами, сопоставляет группы с ролями и работает on-premises.",
            "consequences": "* Хорошо: доступ выдаётся и отзывается в одном месте\n* Плохо: Keycloak становится критичным сервисом, ему нужны бэкапы и обновления",
        },
        {
            "title": "GPU Operator для доступа Kubernetes к GPU",
            "context": "GPU-узлы настраиваются вручную: версии драйверов, container toolkit и device plugin различаются, а некоторые узлы молча не отдают GPU планировщику.",
            "options": "* NVIDIA GPU Operator\n* Драйверы в образе узла и DaemonSet device plugin",
            "outcome": "Выбран вариант «NVIDIA GPU Operator»: он вместе ставит и обновляет драйвер, toolkit, device plugin, GPU Feature Discovery и DCGM exporter.",
            "consequences": "* Хорошо: все GPU-узлы размечены и доступны планировщику одинаково\n* Плохо: обновления драйверов следуют циклу релизов оператора",
        },
    ],
}

# Per role: the procedures to acknowledge in the first week (when they exist).
TRACK_PROCEDURES = {
    "data-scientist": ["metric-logging", "dataset-versioning", "code-versioning"],
    "ml-engineer": ["code-versioning", "model-file-versioning", "environment-versioning"],
    "mlops-engineer": ["infrastructure-usage", "model-metric-monitoring", "environment-versioning"],
    "data-engineer": ["dataset-versioning", "code-versioning"],
    "devops-engineer": ["infrastructure-usage", "environment-versioning"],
    "backend-developer": ["model-file-versioning", "model-metric-monitoring"],
    "team-lead": ["code-versioning", "dataset-versioning", "model-metric-monitoring"],
}


def starter_language() -> str:
    lang = os.environ.get("STARTER_LANGUAGE", "en").strip().lower()
    return lang if lang in ("en", "ru") else "en"


def _seed_matrix(actor, stdout) -> None:
    from knowledge.services import activity_create, assignment_set, role_create
    from portal.models import Element
    from procedures.models import Procedure

    roles = {r.slug: r for r in Role.objects.all()}
    lang = starter_language()
    for order, (slug, name, name_ru, group, description, description_ru) in enumerate(
        ROLES, start=1
    ):
        if slug not in roles:
            roles[slug] = role_create(
                actor=actor,
                slug=slug,
                name=name,
                name_ru=name_ru,
                keycloak_group=group,
                description=description_ru if lang == "ru" else description,
                order=order * 10,
            )
            stdout.write(f"  role {slug}")
    procedures = {p.slug: p for p in Procedure.objects.all()}
    known_elements = set(Element.objects.values_list("code", flat=True))
    existing = set(Activity.objects.values_list("slug", flat=True))
    for order, (slug, name, name_ru, elements, procedure, letters) in enumerate(
        ACTIVITIES, start=1
    ):
        # An existing activity is the team's now: its letters are not touched.
        if slug in existing:
            continue
        activity = activity_create(
            actor=actor,
            slug=slug,
            name=name,
            name_ru=name_ru,
            elements=[e for e in elements if e in known_elements],
            procedure=procedures.get(procedure),
            order=order * 10,
        )
        for role_slug, letter in letters.items():
            assignment_set(actor=actor, activity=activity, role=roles[role_slug], letter=letter)
        stdout.write(f"  activity {slug}")


def _seed_adrs(actor, stdout) -> list[Adr]:
    from knowledge.services import adr_accept, adr_create
    from procedures.models import Procedure

    result = []
    for subject, text in zip(ADR_SUBJECTS, ADRS[starter_language()], strict=True):
        adr = Adr.objects.filter(title=text["title"]).first()
        if adr is None:
            fields = {**subject, **text}
            fields["procedures"] = list(
                Procedure.objects.filter(slug__in=fields.get("procedures", []))
            )
            adr = adr_create(
                actor=actor,
                date=datetime.date(2025, 1, 15),
                decision_makers=ADR_DECIDERS[starter_language()],
                **fields,
            )
            adr = adr_accept(actor=actor, adr=adr, note=ADR_ACCEPT_NOTE[starter_language()])
            stdout.write(f"  {adr.code} {adr.title}")
        result.append(adr)
    return result


def _seed_tracks(actor, adrs, stdout) -> None:
    from knowledge.services import track_create, track_step_create
    from procedures.models import Procedure

    procedures = {p.slug: p for p in Procedure.objects.all()}
    for role in Role.objects.filter(slug__in=[r[0] for r in ROLES]):
        if Track.objects.filter(role=role).exists():
            continue
        track = track_create(
            actor=actor,
            role=role,
            title=f"{role.name} onboarding",
            title_ru=f"Введение в работу: {role.name_ru}",
        )
        step = partial(track_step_create, actor=actor, track=track)
        access = step(
            phase=Phase.FIRST_DAY,
            kind=StepKind.ACCESS_CHECK,
            title="You can sign in to the portal",
            title_ru="Вы можете войти в портал",
            access_group="portal-viewer",
            order=10,
        )
        step(
            phase=Phase.FIRST_DAY,
            kind=StepKind.TASK,
            title="Meet your buddy and get your accounts",
            title_ru="Познакомьтесь с наставником и получите учётные записи",
            order=20,
        )
        step(
            phase=Phase.FIRST_DAY,
            kind=StepKind.ACCESS_CHECK,
            title="You are in your role's group",
            title_ru="Вы состоите в группе своей роли",
            access_group=role.keycloak_group or role.slug,
            order=30,
        )
        for position, slug in enumerate(TRACK_PROCEDURES.get(role.slug, []), start=1):
            procedure = procedures.get(slug)
            if procedure is None:
                continue
            step(
                phase=Phase.FIRST_WEEK,
                kind=StepKind.ACKNOWLEDGE,
                title=f"Read and acknowledge: {procedure.title}",
                title_ru=f"Прочитайте и подтвердите: {procedure.title}",
                procedure=procedure,
                order=10 * position,
                depends_on=[access],
            )
        for position, adr in enumerate(adrs, start=1):
            step(
                phase=Phase.FIRST_MONTH,
                kind=StepKind.READ_ADR,
                title=f"Read {adr.code}: {adr.title}",
                title_ru=f"Прочитайте {adr.code}: {adr.title}",
                adr=adr,
                order=10 * position,
            )
        step(
            phase=Phase.FIRST_MONTH,
            kind=StepKind.TASK,
            title="Ship a first change with your buddy's review",
            title_ru="Выпустите первое изменение с ревью наставника",
            order=100,
        )
        stdout.write(f"  track {role.slug} ({TrackStep.objects.filter(track=track).count()} steps)")


def seed_knowledge(stdout, demo: bool) -> None:
    from procedures.services import system_user

    actor = system_user()
    _seed_matrix(actor, stdout)
    adrs = _seed_adrs(actor, stdout)
    _seed_tracks(actor, [a for a in adrs if a.status != AdrStatus.REJECTED], stdout)
    if demo:
        _seed_demo_people(actor, stdout)


# The demo people's groups, as in deploy/keycloak/realm-mlops.json, so that the local
# demo shows the matrix staffed the way a Keycloak sign-in would.
DEMO_GROUPS = {"alice": "ml-engineers", "bob": "leads", "carol": "data-science", "dave": "mlops"}


def _seed_demo_people(actor, stdout) -> None:
    """Demo only: put the demo people in their groups and start carol, the new
    engineer, on the data scientist's track with alice as her buddy."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from knowledge.models import Enrolment
    from knowledge.services import enrolment_create
    from portal.audit import audit_record

    people = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_GROUPS)}
    for username, group_name in DEMO_GROUPS.items():
        user = people.get(username)
        if user is None:
            continue
        group, _created = Group.objects.get_or_create(name=group_name)
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            audit_record(actor=actor, verb="user.group_add", obj=user, after={"group": group_name})
    carol, track = people.get("carol"), Track.objects.filter(role__slug="data-scientist").first()
    if carol and track and not Enrolment.objects.filter(user=carol, track=track).exists():
        enrolment_create(
            actor=actor,
            user=carol,
            track=track,
            start_date=timezone.localdate(),
            buddy=people.get("alice"),
        )
        stdout.write("  demo: carol enrolled on the data scientist's track")
