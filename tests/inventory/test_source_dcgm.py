"""dcgm-exporter's /metrics becomes per-GPU metric facts, scraped over real HTTP."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from inventory.sources.dcgm import metrics_url, parse_dcgm_metrics, scrape_dcgm
from inventory.sources.facts import SourceError

METRICS = (
    Path(__file__).resolve().parent.parent / "fixtures" / "dcgm" / "datadog__dcgm_serve_metrics.txt"
).read_text()


def test_it_reads_both_hosts_and_both_driver_versions():
    gpus = {g.uuid: g for g in parse_dcgm_metrics(METRICS)}
    assert set(gpus) == {
        "GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e",
        "GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5",
    }
    first = gpus["GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"]
    assert first.node_name == "424773df46e0"
    assert first.product == "Tesla T4"
    assert first.driver_version == "460.106.00"
    assert first.index == 0
    assert first.utilization_gpu_pct == 0.0
    assert first.temperature_c == 25.0
    assert first.power_draw_w == 8.969
    # No FB_TOTAL on this host: total is used + free.
    assert (first.memory_used_mib, first.memory_total_mib) == (0, 15109)

    second = gpus["GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"]
    assert second.node_name == "551bdf382151"
    assert second.driver_version == "470.182.03"
    assert second.cuda_version == "12.1"
    assert second.serial == "1565220008176"
    assert second.memory_total_mib == 15109
    assert second.power_limit_w == 70.0


FIXTURES_METRICS = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "dcgm"
    / "datadog__dcgm_fixtures_metrics.txt"
).read_text()


def test_samples_without_a_uuid_are_skipped_with_a_warning_and_the_gpus_kept():
    # Datadog's fixture ends with profiling fields exported without any label.
    warnings = []
    gpus = {g.uuid: g for g in parse_dcgm_metrics(FIXTURES_METRICS, warnings)}
    assert set(gpus) == {
        "GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e",
        "GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5",
        "GPU-abc",
    }
    [warning] = warnings
    assert "without a UUID label skipped" in warning
    assert "DCGM_FI_DEV_FAN_SPEED (1)" in warning and "DCGM_FI_PROF_SM_ACTIVE (1)" in warning
    a10g = gpus["GPU-abc"]
    assert (a10g.product, a10g.node_name, a10g.driver_version) == (
        "NVIDIA A10G", "ip-11111", "550.144.03",
    )  # fmt: skip
    assert a10g.cuda_version == "12.4" and a10g.serial == "1111111"
    # FB_TOTAL is given on the second host: it wins over used + free + reserved.
    assert gpus["GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"].memory_total_mib == 15109


def test_total_memory_counts_what_the_driver_reserves():
    labels = 'gpu="0",UUID="GPU-a100",modelName="NVIDIA A100-SXM4-40GB",Hostname="dgx-1"'
    text = (
        f"DCGM_FI_DEV_FB_FREE{{{labels}}} 40100\n"
        f"DCGM_FI_DEV_FB_USED{{{labels}}} 435\n"
        f"DCGM_FI_DEV_FB_RESERVED{{{labels}}} 425\n"
    )
    [gpu] = parse_dcgm_metrics(text)
    assert gpu.memory_total_mib == 40960
    [gpu] = parse_dcgm_metrics(text.rsplit("DCGM_FI_DEV_FB_RESERVED", 1)[0])
    assert gpu.memory_total_mib == 40535


def test_a_lower_case_hostname_label_is_accepted():
    text = METRICS.replace('Hostname="424773df46e0"', 'hostname="gpu-node-7"')
    hosts = {g.node_name for g in parse_dcgm_metrics(text)}
    assert hosts == {"gpu-node-7", "551bdf382151"}


def test_mig_instances_become_mig_devices():
    text = (
        'DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3",'
        'Hostname="h100-1"} 41\n'
        'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3",'
        'Hostname="h100-1",GPU_I_PROFILE="3g.40gb",GPU_I_ID="2"} 26\n'
        'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3",'
        'Hostname="h100-1",GPU_I_PROFILE="1g.10gb",GPU_I_ID="9"} 9\n'
    )
    [gpu] = parse_dcgm_metrics(text)
    assert gpu.temperature_c == 41.0
    assert gpu.memory_used_mib is None  # instance memory is not the GPU's
    assert gpu.mig_mode == "Enabled"
    assert [(m.index, m.profile) for m in gpu.mig_devices] == [(2, "3g.40gb"), (9, "1g.10gb")]


def test_readings_that_are_not_numbers_are_left_out():
    text = (
        'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-1",Hostname="n1"} +Inf\n'
        'DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-1",Hostname="n1"} NaN\n'
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1",Hostname="n1"} 12\n'
    )
    [gpu] = parse_dcgm_metrics(text)
    assert (gpu.memory_used_mib, gpu.temperature_c, gpu.utilization_gpu_pct) == (None, None, 12.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DCGM_FI_DEV_GPU_UTIL{gpu=0 UUID=x} 1\n", "malformed"),
        ('DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1"} not-a-number\n', "malformed"),
        ("", "no GPU samples"),
        ("# HELP up whatever\nup 1\n", "no GPU samples"),
        # Only samples without a UUID: nothing names a GPU.
        ('DCGM_FI_DEV_GPU_UTIL{gpu="0"} 5\n', "no GPU samples"),
    ],
)
def test_bad_metrics_text_is_refused(text, message):
    with pytest.raises(SourceError, match=message):
        parse_dcgm_metrics(text)


class _Exporter(BaseHTTPRequestHandler):
    body = METRICS.encode()
    status = 200
    delay = 0.0

    def do_GET(self):
        time.sleep(self.delay)
        if self.path != "/metrics":
            self.send_error(404)
            return
        try:
            self.send_response(self.status)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the scraper timed out and left

    def log_message(self, *args):
        pass


@pytest.fixture
def exporter():
    handler = type("Exporter", (_Exporter,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler
    server.shutdown()
    server.server_close()


def test_it_scrapes_a_live_exporter(exporter):
    snapshot = scrape_dcgm(exporter.url, timeout=5)
    assert snapshot.source == "dcgm"
    assert snapshot.covers == {"gpu_metrics"}
    assert {g.node_name for g in snapshot.gpus} == {"424773df46e0", "551bdf382151"}


def test_a_given_session_is_used_and_left_open(exporter):
    import requests

    with requests.Session() as session:
        session.headers["Authorization"] = "Bearer scrape"
        scrape_dcgm(exporter.url, timeout=5, session=session)
        assert scrape_dcgm(exporter.url, timeout=5, session=session).gpus


def test_an_http_error_is_a_source_error(exporter):
    exporter.status = 503
    with pytest.raises(SourceError, match=r"answered HTTP 503"):
        scrape_dcgm(exporter.url + "/metrics", timeout=5)


def test_a_slow_exporter_times_out(exporter):
    exporter.delay = 0.5
    with pytest.raises(SourceError, match=r"timed out after 0\.1s"):
        scrape_dcgm(exporter.url, timeout=0.1)


def test_an_unreachable_exporter_is_a_source_error(exporter):
    with pytest.raises(SourceError, match="unreachable"):
        scrape_dcgm("http://127.0.0.1:9/", timeout=1)


def test_garbage_served_is_a_source_error_naming_the_url(exporter):
    exporter.body = b"<html>login required</html>"
    with pytest.raises(
        SourceError, match=rf"{exporter.url}/metrics: DCGM metrics text is malformed"
    ):
        scrape_dcgm(exporter.url, timeout=5)


def test_metrics_path_is_added_once():
    assert metrics_url("http://dcgm:9400") == "http://dcgm:9400/metrics"
    assert metrics_url("http://dcgm:9400/metrics/") == "http://dcgm:9400/metrics"
