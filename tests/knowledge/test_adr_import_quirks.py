"""What real decision logs hold and the import used to refuse or misread: long tags,
titles with link markup, web links in a status, log4brains names, statuses outside
the five, Russian and French metadata, no date, names with commas in parentheses."""

from django.core.management import call_command

from knowledge.adr_format import parse_adr
from knowledge.choices import AdrStatus, LinkKind
from knowledge.models import Adr, AdrLink
from knowledge.services import adr_import, adr_import_directory

ISO_TAG = "ISO 27001 A.17.1.1 Planning Information Security Continuity " + "x" * 50


def _links():
    return {
        (link.source.number, link.kind, link.target.number)
        for link in AdrLink.objects.select_related("source", "target")
    }


def test_a_long_tag_imports_and_a_refused_record_leaves_the_others(alice):
    report = adr_import(
        actor=alice,
        files=[
            ("0001-long.md", f"---\nstatus: accepted\ntags: [{ISO_TAG}]\n---\n# Long tag\n"),
            ("0002-too-long.md", f"---\ntags: [{'y' * 300}]\n---\n# Too long\n"),
            ("0003-fine.md", "# 3. Fine\n\n## Status\n\nAccepted\n"),
        ],
    )
    assert len(ISO_TAG) >= 100
    assert sorted(report.created) == [1, 3]
    assert [(e.file, e.line) for e in report.errors] == [("0002-too-long.md", 1)]
    assert "200" in report.errors[0].message
    assert [t.name for t in Adr.objects.get(number=1).tags.all()] == [ISO_TAG]


TITLE = "[Superseded by [ADR-0019](0019-use-statsd.md)] Push metrics via InfluxDB"


def test_a_title_with_link_markup_exports_to_clean_names_and_imports_back(alice, tmp_path):
    adr_import(
        actor=alice,
        files=[
            ("0019-use-statsd.md", "# 19. Use StatsD\n\n## Status\n\nAccepted\n"),
            (
                "0020-push-metrics.md",
                f"# 20. {TITLE}\n\n## Status\n\nAccepted\n\n"
                "Supersedes [19. Use StatsD](0019-use-statsd.md)\n",
            ),
        ],
    )
    assert _links() == {(20, LinkKind.SUPERSEDES, 19)}
    assert Adr.objects.get(number=20).title == TITLE
    for fmt in ("nygard", "madr"):
        call_command("export_adrs", str(tmp_path / fmt), "--format", fmt)
        names = sorted(p.name for p in (tmp_path / fmt).iterdir())
        assert names == [
            "0019-use-statsd.md",
            "0020-superseded-by-adr-0019-push-metrics-via-influxdb.md",
        ]
        Adr.objects.all().delete()
        report = adr_import_directory(actor=alice, directory=tmp_path / fmt)
        assert report.errors == []
        assert Adr.objects.get(number=20).title == TITLE
        # The outer link is read: no record links to itself or to a missing file.
        assert _links() == {(20, LinkKind.SUPERSEDES, 19)}
    nygard = (tmp_path / "nygard" / "0019-use-statsd.md").read_text()
    assert "Superseded by [20. \\[Superseded by \\[ADR-0019\\](0019-use-statsd.md)\\]" in nygard


def test_a_web_link_in_a_status_is_not_a_record_link(alice):
    text = (
        "# 1. Record decisions\n\n* Statut: proposed. Adopted as a [fait accompli]"
        "(https://example.org/fait-accompli) by the team.\n* Décisionnaires: Anne, Paul\n"
    )
    report = adr_import(actor=alice, files=[("0001-record-decisions.md", text)])
    assert report.errors == []
    adr = Adr.objects.get(number=1)
    assert adr.status == AdrStatus.PROPOSED
    assert "fait accompli" in adr.status_note
    assert adr.decision_makers == ["Anne", "Paul"]
    assert _links() == set()


def test_log4brains_names_get_numbers_in_date_order_and_keep_their_file(alice):
    adr_import(actor=alice, files=[("0007-existing.md", "# 7. Existing\n")])
    files = [
        (
            "20201016-use-the-slug.md",
            "# Use the slug\n\n- Status: accepted\n\n## Links\n\n"
            "- Supersedes [20200926-use-the-number](20200926-use-the-number.md)\n",
        ),
        (
            "20200926-use-the-number.md",
            "# Use the number\n\n- Status: superseded by "
            "[20201016-use-the-slug](20201016-use-the-slug.md)\n- Date: 2020-09-26\n",
        ),
    ]
    report = adr_import(actor=alice, files=files)
    assert report.errors == []
    assert sorted(report.created) == [8, 9]
    older, newer = Adr.objects.get(number=8), Adr.objects.get(number=9)
    assert (older.source_file, older.status) == ("20200926-use-the-number.md", "superseded")
    assert (newer.source_file, newer.date.isoformat()) == ("20201016-use-the-slug.md", "2020-10-16")
    assert _links() == {(9, LinkKind.SUPERSEDES, 8)}
    again = adr_import(actor=alice, files=files)
    assert sorted(again.unchanged) == [8, 9] and again.created == again.updated == []


def test_a_status_outside_the_five_imports_as_the_nearest_with_its_wording(alice):
    report = adr_import(
        actor=alice,
        files=[
            ("0001-a.md", "---\nstatus: on hold\ndate: 2024-02-01\n---\n# A\n"),
            ("0002-b.md", "---\nstatus: draft\n---\n# B\n"),
        ],
    )
    assert report.errors == []
    assert {(w.file, w.line) for w in report.warnings} == {("0001-a.md", 2), ("0002-b.md", 2)}
    a = Adr.objects.get(number=1)
    assert (a.status, a.status_note) == (AdrStatus.PROPOSED, "on hold")


RUSSIAN = """# Библиотека для слайдера изображений

* Статус: принято
* Участники: Илья Бородулин, Родион Костюченко
* Дата: 16.09.2021
* Затрагивает: §4.3

## Контекст и постановка проблемы

Для компонента слайдера нужна готовая библиотека.

## Факторы принятия решения

* Поддержка TypeScript

## Рассмотренные варианты решения

* keen-slider

## Результат принятия решения

Решено использовать keen-slider.
"""


def test_russian_keys_headings_and_dates_are_read_and_unknown_keys_warned():
    adr = parse_adr("0003-slider.md", RUSSIAN)
    assert (adr.status, adr.status_note) == (AdrStatus.ACCEPTED, "принято")
    assert adr.date.isoformat() == "2021-09-16"
    assert adr.decision_makers == ["Илья Бородулин", "Родион Костюченко"]
    assert adr.sections["context"].endswith("Для компонента слайдера нужна готовая библиотека.")
    assert adr.sections["drivers"] == "* Поддержка TypeScript"
    assert adr.sections["options"] == "* keen-slider"
    assert adr.sections["outcome"] == "Решено использовать keen-slider."
    # The unknown key is named with its line and its text is kept.
    assert [(w.line, "Затрагивает" in w.message) for w in adr.warnings] == [(6, True)]
    assert "Затрагивает: §4.3" in adr.sections["context"]


def test_a_record_without_a_date_keeps_it_unknown_and_the_page_says_so(alice, client_for):
    adr_import(actor=alice, files=[("0001-undated.md", "# 1. Undated\n\n## Status\n\nAccepted\n")])
    adr = Adr.objects.get(number=1)
    assert adr.date is None
    page = client_for(alice).get(adr.get_absolute_url())
    assert page.status_code == 200
    assert "date unknown" in page.content.decode()
    assert client_for(alice).get("/knowledge/adr/?view=timeline").status_code == 200


def test_decision_makers_are_not_split_inside_parentheses():
    adr = parse_adr(
        "0001-a.md",
        "---\ndecision-makers: Irina Volkova (ML, platform), Pavel Smirnov\n---\n# A\n",
    )
    assert adr.decision_makers == ["Irina Volkova (ML, platform)", "Pavel Smirnov"]
