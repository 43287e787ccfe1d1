"""Starter content: the skills catalogue (English and Russian) with the components
each skill is about, and the skills the starter roles need; with ``--demo``, the four
demo people's levels (some confirmed, some not) and skill steps on the tracks."""

from __future__ import annotations

from skills.models import PersonSkill, RoleSkill, Skill

# slug, name, name_ru, elements, inventory components (product names), description
CATALOGUE = [
    ("kubernetes", "Kubernetes (GPU Operator, device plugin, node labels)",
     "Kubernetes (GPU Operator, device plugin, метки узлов)", ["software", "hardware"],
     ["NVIDIA GPU Operator", "NVIDIA device plugin", "GPU feature discovery",
      "Node Feature Discovery"],
     "Runs workloads on the clusters and makes GPUs schedulable."),
    ("terraform", "Terraform / infrastructure as code", "Terraform / инфраструктура как код",
     ["software", "networks"], [], "Describes clusters, networks and storage as code."),
    ("ansible", "Ansible", "Ansible", ["software", "hardware"], [],
     "Configures the GPU hosts and the machines outside Kubernetes."),
    ("argo-cd", "Argo CD / GitOps", "Argo CD / GitOps", ["software", "procedures"], ["Argo CD"],
     "Keeps what runs equal to what the repository says."),
    ("ci-cd", "CI/CD", "CI/CD", ["software", "procedures"], [],
     "Builds, tests and ships code and images."),
    ("model-serving", "Model serving (KServe, Seldon Core, BentoML)",
     "Сервинг моделей (KServe, Seldon Core, BentoML)", ["software"],
     ["KServe", "Seldon Core", "BentoML", "NVIDIA Triton Inference Server"],
     "Puts models behind an API and keeps them answering."),
    ("experiment-tracking", "Experiment tracking (MLflow, ClearML)",
     "Трекинг экспериментов (MLflow, ClearML)", ["software", "knowledge"], ["MLflow", "ClearML"],
     "Logs runs, metrics and models and keeps the registry."),
    ("orchestration", "Pipelines and orchestration (Kubeflow, Airflow, Dagster, Prefect)",
     "Пайплайны и оркестрация (Kubeflow, Airflow, Dagster, Prefect)", ["software", "data"],
     ["Kubeflow", "Airflow", "Dagster", "Prefect", "Argo Workflows"],
     "Runs training and data pipelines on a schedule or on events."),
    ("feature-stores", "Feature stores (Feast)", "Хранилища признаков (Feast)",
     ["data", "software"], ["Feast"], "Serves the same features to training and inference."),
    ("data-engineering", "Data engineering", "Инженерия данных", ["data"], [],
     "Builds, versions and moves datasets."),
    ("ml-engineering", "ML engineering", "ML-инженерия", ["software", "data"], ["Ray"],
     "Turns experiments into reproducible training and inference code."),
    ("ct-automation", "Continuous-training automation in Python",
     "Автоматизация непрерывного обучения на Python", ["software", "procedures"], [],
     "Retrains and redeploys models across orchestrators, from Python."),
    ("monitoring", "Monitoring and logs (Prometheus, Grafana, Loki)",
     "Мониторинг и логи (Prometheus, Grafana, Loki)", ["software"],
     ["Prometheus", "Grafana", "Loki", "Alertmanager", "Promtail", "Prometheus Operator"],
     "Sees what the platform does and tells when it does not."),
    ("gpu-operations", "GPU / CUDA operations", "Эксплуатация GPU / CUDA", ["hardware"],
     ["NVIDIA driver", "NVIDIA container toolkit", "DCGM exporter"],
     "Drivers, CUDA, MIG, NVLink and the health of the GPUs."),
    ("sso", "SSO / Keycloak", "SSO / Keycloak", ["software", "people"], ["Keycloak"],
     "Single sign-on, realms, clients and the roles they carry."),
    ("networking", "Networking and traffic (Traefik, load balancers)",
     "Сети и трафик (Traefik, балансировщики)", ["networks"],
     ["Traefik", "ingress-nginx", "cert-manager"],
     "Ingress, load balancers, certificates and the links between sites."),
]  # fmt: skip

# The descriptions in Russian, by slug (names and descriptions are stored in both
# languages whatever the starter language, as for roles and activities).
DESCRIPTIONS_RU = {
    "kubernetes": "Запускает нагрузки в кластерах и делает GPU доступными планировщику.",
    "terraform": "Описывает кластеры, сети и хранилища как код.",
    "ansible": "Настраивает GPU-хосты и машины вне Kubernetes.",
    "argo-cd": "Держит то, что запущено, равным тому, что записано в репозитории.",
    "ci-cd": "Собирает, тестирует и выкатывает код и образы.",
    "model-serving": "Выставляет модели за API и следит, чтобы они отвечали.",
    "experiment-tracking": "Логирует запуски, метрики и модели, ведёт реестр моделей.",
    "orchestration": "Запускает пайплайны обучения и данных по расписанию или по событиям.",
    "feature-stores": "Отдаёт одни и те же признаки обучению и инференсу.",
    "data-engineering": "Строит, версионирует и перемещает датасеты.",
    "ml-engineering": "Превращает эксперименты в воспроизводимый код обучения и инференса.",
    "ct-automation": "Переобучает и заново развёртывает модели через разные оркестраторы из Python.",
    "monitoring": "Показывает, что делает платформа, и сообщает, когда что-то не так.",
    "gpu-operations": "Драйверы, CUDA, MIG, NVLink и исправность GPU.",
    "sso": "Единый вход: realm, клиенты и роли, которые они передают.",
    "networking": "Ingress, балансировщики, сертификаты и каналы между площадками.",
}

# role slug → {skill slug: level needed}
ROLE_NEEDS = {
    "data-scientist": {"experiment-tracking": 2, "ml-engineering": 1},
    "ml-engineer": {"ml-engineering": 2, "experiment-tracking": 2, "model-serving": 2,
                    "ct-automation": 2},
    "mlops-engineer": {"kubernetes": 2, "model-serving": 2, "orchestration": 2,
                       "monitoring": 2, "gpu-operations": 2, "argo-cd": 2},
    "data-engineer": {"data-engineering": 2, "orchestration": 2, "feature-stores": 2},
    "devops-engineer": {"kubernetes": 3, "terraform": 2, "ansible": 2, "ci-cd": 2,
                        "networking": 2, "monitoring": 2},
    "backend-developer": {"model-serving": 1, "ci-cd": 2},
    "team-lead": {"ml-engineering": 1},
}  # fmt: skip

# Demo only: person → {skill: (level, confirmed by)}; dave alone holds many skills.
DEMO_LEVELS = {
    "alice": {"ml-engineering": (3, "bob"), "experiment-tracking": (2, "bob"),
              "model-serving": (2, None), "kubernetes": (1, None), "ct-automation": (2, "bob")},
    "bob": {"ci-cd": (2, "dave"), "terraform": (1, None), "data-engineering": (1, None),
            "experiment-tracking": (2, "dave")},
    "carol": {"experiment-tracking": (1, None), "ml-engineering": (1, None)},
    "dave": {"kubernetes": (3, "bob"), "gpu-operations": (3, "bob"), "monitoring": (2, "bob"),
             "argo-cd": (2, None), "sso": (2, "bob"), "networking": (1, None),
             "orchestration": (2, "bob"), "terraform": (2, None)},
}  # fmt: skip


def seed_skills(stdout, demo: bool) -> None:
    from knowledge.models import Role
    from procedures.services import system_user
    from skills.services import role_skill_set, skill_create

    actor = system_user()
    have = set(Skill.objects.values_list("slug", flat=True))
    for order, (slug, name, name_ru, elements, components, description) in enumerate(
        CATALOGUE, start=1
    ):
        if slug in have:
            continue
        skill_create(
            actor=actor,
            slug=slug,
            name=name,
            name_ru=name_ru,
            description=description,
            description_ru=DESCRIPTIONS_RU.get(slug, ""),
            elements=elements,
            components=components,
            order=order * 10,
        )
        stdout.write(f"  skill {slug}")
    skills = {s.slug: s for s in Skill.objects.all()}
    needed = set(RoleSkill.objects.values_list("role__slug", "skill__slug"))
    for role in Role.objects.filter(slug__in=ROLE_NEEDS):
        for slug, level in ROLE_NEEDS[role.slug].items():
            if (role.slug, slug) not in needed and slug in skills:
                role_skill_set(actor=actor, role=role, skill=skills[slug], level=level)
    if demo:
        _seed_demo(actor, skills, stdout)


def _seed_demo(actor, skills, stdout) -> None:
    from django.contrib.auth import get_user_model

    from knowledge.models import Role
    from skills.services import person_skill_confirm, person_skill_set, track_add_skill_steps

    people = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_LEVELS)}
    if set(people) != set(DEMO_LEVELS):
        return
    if PersonSkill.objects.filter(user__in=people.values()).exists():
        return  # already seeded: a person's own levels are theirs to change
    for username, levels in DEMO_LEVELS.items():
        for slug, (level, _confirmer) in levels.items():
            person_skill_set(actor=people[username], user=people[username], skill=skills[slug],
                             level=level)  # fmt: skip
    for username, levels in DEMO_LEVELS.items():
        for slug, (_level, confirmer) in levels.items():
            if confirmer:
                ps = PersonSkill.objects.get(user=people[username], skill=skills[slug])
                person_skill_confirm(actor=people[confirmer], person_skill=ps)
    for role in Role.objects.filter(slug="data-scientist"):
        track_add_skill_steps(actor=actor, role=role)
    stdout.write("  demo: skill levels of alice, bob, carol and dave")
