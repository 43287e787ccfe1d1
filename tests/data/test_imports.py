"""DVC projects and iperf3 results in: each file on its own, nothing lost."""

import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from data.imports import dvc_import, iperf3_import
from data.models import Dataset, LinkMeasurement
from portal.models import AuditEvent
from tests.data.conftest import FIXTURES, fixture_bytes


def test_dvc_folder_updates_the_dataset_with_that_path(net, tmp_path, alice):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / ".dvc").mkdir()
    (project / ".dvc" / "config").write_text("[core]\n")
    shutil.copy(
        FIXTURES / "dvc" / "cml_dvc_case__4adf69d-dvc3x__data.dvc", project / "data" / "speech.dvc"
    )
    # the .dvc file's out is "data" relative to data/, i.e. data/data in the project
    Dataset.objects.filter(pk=net.speech.pk).update(path="data/data")
    call_command("data_import_dvc", str(project), "--as", "alice")
    net.speech.refresh_from_db()
    assert net.speech.size_bytes == 53504810
    assert net.speech.file_count == 4
    assert net.speech.version_ref == "7a05ed8bdbe2fefd26d68cf193cea8be"
    assert AuditEvent.objects.filter(verb="data.dataset_update", actor=alice).exists()


def test_a_bad_file_is_reported_and_the_good_ones_still_load(net, alice):
    Dataset.objects.filter(pk=net.tabular.pk).update(path="data")
    report = dvc_import(
        actor=alice,
        files=[
            ("broken.dvc", b"outs: [\n"),
            ("data.dvc", fixture_bytes("dvc", "SentimentalBB__data.dvc")),
        ],
    )
    assert [f.ok for f in report.files] == [False, True]
    assert "broken.dvc" in report.files[0].message
    net.tabular.refresh_from_db()
    assert net.tabular.size_bytes == 66379049 and net.tabular.versioning == "dvc"


def test_outputs_missing_from_the_catalogue_are_created_only_when_asked(net, alice):
    files = [("data.xml.dvc", fixture_bytes("dvc", "example-get-started__data.xml.dvc"))]
    report = dvc_import(actor=alice, files=files)
    assert report.skipped == 1 and not Dataset.objects.filter(path="data.xml").exists()
    report = dvc_import(actor=alice, files=files, store=net.nfs)
    assert Dataset.objects.get(path="data.xml").size_bytes == 14445097
    again = dvc_import(actor=alice, files=files, store=net.nfs)
    assert again.created == 0 and again.skipped == 1


def test_viewers_cannot_import(net, carol):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        dvc_import(actor=carol, files=[("a.dvc", b"outs: []\n")])


def test_iperf3_results_build_a_history_kept_once_per_file(net, alice):
    files = [
        ("my_test.json", fixture_bytes("iperf3", "iperf3_plotter__my_test.json")),
        ("udp.json", fixture_bytes("iperf3", "iperf3-lib__3.21__udp-client.json")),
        ("error.json", b'{"start": {}, "intervals": [], "end": {}, "error": "unable to connect"}'),
    ]
    report = iperf3_import(actor=alice, link=net.slow, files=files)
    assert [f.ok for f in report.files] == [True, True, False]
    assert LinkMeasurement.objects.filter(link=net.slow).count() == 2
    net.slow.refresh_from_db()
    assert net.slow.measured_gbps == pytest.approx(0.008002, abs=1e-5)  # the 2026 run is newest
    again = iperf3_import(actor=alice, link=net.slow, files=files[:1])
    assert again.skipped == 1
    assert LinkMeasurement.objects.filter(link=net.slow).count() == 2


def test_iperf3_command_exits_non_zero_on_a_bad_file_but_keeps_the_good(net, tmp_path):
    shutil.copy(FIXTURES / "iperf3" / "iperf3_plotter__my_test.json", tmp_path / "a.json")
    (tmp_path / "b.json").write_text("{")
    with pytest.raises(CommandError):
        call_command("data_import_iperf3", str(net.slow.pk), str(tmp_path))
    assert LinkMeasurement.objects.filter(link=net.slow).count() == 1
