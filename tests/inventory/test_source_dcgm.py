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
        ('DCGM_FI_DEV_GPU_UTIL{gpu="0"} 5\n', "has no UUID label"),
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
