"""The DVC and iperf3 readers on real files from public repositories
(tests/fixtures/dvc, tests/fixtures/iperf3, see their SOURCES.md)."""

from datetime import UTC, datetime

import pytest

from data.formats import FormatError
from data.formats.dvc import parse_dvc
from data.formats.iperf3 import parse_iperf3
from tests.data.conftest import fixture_bytes


def dvc(name, **kw):
    return parse_dvc(fixture_bytes("dvc", name), name, **kw)


def test_dvc3_file_with_size():
    [out] = dvc("example-get-started__data.xml.dvc")
    assert (out.path, out.md5, out.size, out.files) == (
        "data.xml",
        "22a1a2931c8370d3aeedd7183606fd7f",
        14445097,
        1,
    )


def test_dvc3_directory_with_nfiles():
    [out] = dvc("cml_dvc_case__4adf69d-dvc3x__data.dvc")
    assert out.is_dir and out.size == 53504810 and out.nfiles == 4
    assert out.version_ref == "7a05ed8bdbe2fefd26d68cf193cea8be"


def test_dvc2_directory_without_hash_key():
    [out] = dvc("SentimentalBB__data.dvc")
    assert (out.size, out.nfiles) == (66379049, 5)


def test_dvc1_directory_has_no_size_and_unknown_file_count():
    [out] = dvc("cml_dvc_case__18fbd01-dvc1x__data.dvc")
    assert out.is_dir and out.size is None and out.files is None


def test_dvc0_stage_file_and_import_of_a_directory():
    [out] = dvc("example-get-started__00f7eff-dvc0x__data.xml.dvc")
    assert out.path == "data.xml" and out.size is None and out.files == 1
    [imported] = dvc("myproj__dir1.dvc")
    assert imported.path == "dir1" and imported.is_dir


def test_a_dvc_file_in_a_subfolder_gives_project_paths():
    [out] = dvc("example-get-started__data.xml.dvc", base="data")
    assert out.path == "data/data.xml"


def test_dvc3_lock_lists_every_stage_output():
    outs = dvc("example-get-started__dvc.lock")
    by_path = {o.path: o for o in outs}
    assert by_path["data/prepared"].nfiles == 2
    assert by_path["data/prepared"].stage == "prepare"
    assert by_path["eval"].nfiles == 8


def test_dvc2_lock_and_dvc1_lock_without_stages_key():
    outs = dvc("example-get-started__00071e8-schema2__dvc.lock")
    assert outs and all(o.md5 for o in outs)
    old = dvc("cml_dvc_case__7419d73-dvc1x__dvc.lock")
    assert [o.path for o in old] == ["loss.csv", "metrics.json"]
    assert old[0].stage == "mystage" and old[0].size is None


def test_every_real_dvc_fixture_parses():
    from tests.data.conftest import FIXTURES

    names = [p.name for p in (FIXTURES / "dvc").iterdir() if p.name.endswith((".dvc", "dvc.lock"))]
    assert len(names) >= 13
    for name in names:
        assert dvc(name), name


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"outs: [\n", "not valid YAML"),
        (b"!!python/object/apply:os.system ['true']\n", "not valid YAML"),
        (b"- a\n- b\n", "mapping"),
        (b"md5: x\n", "no 'outs'"),
        (b"outs:\n- md5: x\n  size: -3\n  path: a\n", "size"),
        (b"outs:\n- md5: x\n  path: ../../etc\n", "leaves the project"),
        (b"outs:\n- md5: x\n", "without a path"),
        (b"\xff\xfe", "not UTF-8"),
        (b"outs: []\x00", "NUL"),
    ],
)
def test_bad_dvc_files_are_refused_with_a_reason(content, reason):
    with pytest.raises(FormatError, match=reason):
        parse_dvc(content, "bad.dvc")


def test_iperf3_tcp_multi_stream():
    r = parse_iperf3(fixture_bytes("iperf3", "iperf3_plotter__my_test.json"), "my_test.json")
    assert r.received_bps == pytest.approx(17535714055.21963)
    assert r.gbps == pytest.approx(17.536, abs=0.001)
    assert r.streams == 4 and r.protocol == "TCP" and r.version == "iperf 3.6"
    assert r.measured_at == datetime(2019, 2, 18, 16, 16, 10, tzinfo=UTC)
    assert len(r.intervals_bps) == 60
    assert "-P 4" in r.how and "10.0.0.2" in r.how


def test_iperf3_reverse_and_udp():
    rev = parse_iperf3(fixture_bytes("iperf3", "iperf3-lib__3.21__tcp-reverse-client.json"), "r")
    assert rev.reverse and rev.received_bps == pytest.approx(8380495.680181583)
    udp = parse_iperf3(fixture_bytes("iperf3", "iperf3-lib__3.21__udp-client.json"), "u")
    assert udp.protocol == "UDP" and udp.received_bps == pytest.approx(8002278.8264044)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"{", "not JSON"),
        (b"[]", "not an iperf3"),
        (
            b'{"start": {}, "intervals": [], "end": {}, "error": "control socket has closed unexpectedly"}',
            "reported an error",
        ),
        (b'{"start": {}, "end": {"sum_received": {}}}', "bits_per_second"),
        (
            b'{"start": {}, "end": {"sum_received": {"bits_per_second": 1e9}}}',
            "timesecs",
        ),
        (
            b'{"start": {"timestamp": {"timesecs": 1}}, "end": {"sum_received": {"bits_per_second": "x"}}}',
            "not a number",
        ),
        (
            b'{"start": {"timestamp": {"timesecs": 1e300}}, "end": {"sum_received": {"bits_per_second": 1}}}',
            "out of range",
        ),
    ],
)
def test_bad_iperf3_results_are_refused_with_a_reason(content, reason):
    with pytest.raises(FormatError, match=reason):
        parse_iperf3(content, "bad.json")
