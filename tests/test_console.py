"""The console: its JSON API through Starlette's test client, the real server on a port (and
nothing listening without it), and the page in a real headless browser pressing the button."""
import json
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from starlette.testclient import TestClient

from device.config import ConfigError, ConsoleConfig, load_config
from device.console import serve_console
from device.console.app import make_app

TOKEN = "t" * 20
BASE = "http://127.0.0.1:8080"
SAME = {"Origin": BASE}                     # what the page's own fetch sends


def console(d, token=""):
    return TestClient(make_app(d, token), base_url=BASE)


@pytest.fixture
def running(make_daemon):
    """A daemon running its main loop on a thread (scripted controls, simulated devices)."""
    started = []

    def start(**kw):
        d, controls = make_daemon(**kw)
        t = threading.Thread(target=d.run, daemon=True)
        t.start()
        started.append((d, controls, t))
        return d
    yield start
    for d, controls, t in started:
        controls.quit()
        t.join(30)


def wait_for(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        time.sleep(0.02)
    return cond()


def test_the_api_presses_like_the_button_and_lists_what_printed(running):
    d = running(n_voices=2)
    client = console(d, TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/api/status").status_code == 401                     # with a token, every route needs it
    status = client.get("/api/status", headers=auth).json()
    assert status["light"] == "idle" and status["voices"] == ["voice0", "voice1"] and status["printer"] == "ready"
    assert client.post("/api/press", json={}).status_code == 401              # no token, no press
    assert client.post("/api/press", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/press", json={}, headers=auth).json() == {"accepted": True}
    assert wait_for(lambda: len(d.results) == 1)
    (job,) = client.get("/api/jobs", headers=auth).json()
    assert job["id"] == d.results[0].job_id and job["status"] == "printed" and job["caption"]
    assert client.get(f"/api/jobs/{job['id']}", headers=auth).json()["stanzas"]
    png = client.get(f"/api/jobs/{job['id']}/receipt.png", headers=auth)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.post("/api/knob", json={"value": 1023}, headers=auth).json()["voice"] == "voice1"
    assert client.post("/api/knob", json={"value": 5000}, headers=auth).status_code == 400
    assert client.post("/api/reprint", json={}, headers=auth).json() == {"accepted": True}
    assert wait_for(lambda: len(d.results) == 2)


def test_no_request_reaches_outside_the_archive(running, tmp_path):
    d = running()
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret")
    client = console(d)
    for path in ("/api/jobs/..%2Fsecret.png", "/api/jobs/../secret.png", "/api/jobs/%2E%2E/receipt.png",
                 "/api/jobs/20260101-000000-0001/receipt.png"):
        r = client.get(path)
        assert r.status_code == 404 and b"secret" not in r.content, path


def test_console_presses_keep_the_one_running_one_waiting_rule(running):
    from device.camera import SimCamera
    camera = SimCamera()
    camera.gate = threading.Event()          # the first job waits in the camera
    d = running(camera=camera)
    client = console(d)                      # loopback, no token
    answers = [client.post("/api/press", json={}, headers=SAME).json()["accepted"] for _ in range(3)]
    assert answers == [True, True, False]
    camera.gate.set()
    assert wait_for(lambda: len(d.results) == 2)


def test_other_sites_cannot_press_turn_or_read(running):
    """A cross-origin form, a text/plain fetch, a DNS-rebinding Host, a huge or deep body."""
    d = running()
    client = console(d)
    evil = {"Origin": "http://evil.example"}
    assert client.post("/api/press", data={"a": "1"}, headers=evil).status_code == 415        # a form
    assert client.post("/api/press", json={}, headers=evil).status_code == 403               # fetch from elsewhere
    assert client.post("/api/press", json={}).status_code == 403                             # no origin at all
    text_plain = {"Content-Type": "text/plain", **SAME}
    assert client.post("/api/knob", content='{"value": 5}', headers=text_plain).status_code == 415
    assert client.get("/api/jobs", headers={"Host": "evil.example:8080"}).status_code == 421  # DNS rebinding
    assert client.get("/api/jobs", headers={"Host": "localhost:8080"}).status_code == 200
    big = client.post("/api/knob", content=b"{" + b" " * 100_000 + b"}",
                      headers={"Content-Type": "application/json", **SAME})
    assert big.status_code == 413
    deep = client.post("/api/knob", content="[" * 3000 + "]" * 3000, headers={"Content-Type": "application/json", **SAME})
    assert deep.status_code in (400, 413) and b"Traceback" not in deep.content
    deep = client.post("/api/knob", content="[" * 2000, headers={"Content-Type": "application/json", **SAME})
    assert deep.status_code == 400
    assert not d.results and d.pending == 0                                                   # nothing was pressed
    r = client.get("/")
    for header in ("x-content-type-options", "content-security-policy", "x-frame-options", "referrer-policy",
                   "cache-control"):
        assert header in r.headers, header
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_the_page_opened_with_the_token_keeps_working(running):
    d = running()
    client = console(d, TOKEN)
    assert client.get("/?token=wrong", follow_redirects=False).status_code == 401
    r = client.get(f"/?token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/" and "HttpOnly" in r.headers["set-cookie"]
    assert client.get("/api/jobs").status_code == 200                          # the cookie now opens every route
    assert client.post("/api/press", json={}, headers=SAME).json() == {"accepted": True}
    assert client.post("/api/press", json={}, headers={"Origin": "http://evil.example"}).status_code == 403


def listening_sockets() -> set:
    """This process's listening TCP sockets (inodes), from /proc."""
    mine = {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.islink(f"/proc/self/fd/{fd}")}
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and f"socket:[{fields[9]}]" in mine:
                found.add(fields[9])
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_console_listens_only_when_asked_and_stops_with_the_daemon(running):
    d = running()
    before = listening_sockets()
    with serve_console(d, ConsoleConfig()) as server:                        # off: nothing listens
        assert server is None and listening_sockets() == before
    port = free_port()
    with serve_console(d, ConsoleConfig(listen=f"127.0.0.1:{port}")):
        assert len(listening_sockets() - before) == 1
        status = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=10))
        assert status["light"] == "idle"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
    assert listening_sockets() == before


def test_listening_beyond_this_machine_needs_a_token():
    with pytest.raises(ConfigError, match="console.token"):
        load_config(overrides={"console": {"listen": "0.0.0.0:8080"}})
    assert load_config(overrides={"console": {"listen": "0.0.0.0:8080", "token": TOKEN}}).console.token == TOKEN


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="needs chromium and chromedriver (apt install chromium chromium-driver)")
def test_pressing_the_button_on_the_page_shows_the_new_receipt(running, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    d = running(n_voices=2)
    port = free_port()
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=420,900"):
        options.add_argument(flag)
    with serve_console(d, ConsoleConfig(listen=f"127.0.0.1:{port}")):
        browser = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            browser.get(f"http://127.0.0.1:{port}/")
            WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "light").text == "idle")
            assert not browser.find_elements(By.CSS_SELECTOR, ".job img")
            browser.find_element(By.ID, "press").click()
            # the card is drawn anew while the job moves on (printing -> printed): wait for its last state
            WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda b: any(m.text.endswith(" - printed") for m in b.find_elements(By.CSS_SELECTOR, ".job .meta")))
            img = browser.find_element(By.CSS_SELECTOR, ".job img")
            WebDriverWait(browser, 20).until(lambda b: b.execute_script("return arguments[0].naturalWidth", img) > 0)
            assert browser.find_element(By.CSS_SELECTOR, ".job").get_attribute("data-id") == d.results[0].job_id
            # legible at phone width: the card shows the receipt at (nearly) one dot a pixel
            natural = browser.execute_script("return arguments[0].naturalWidth", img)
            assert img.size["width"] >= 0.9 * natural or img.size["width"] >= 0.9 * browser.execute_script(
                "return document.documentElement.clientWidth") - 40
            img.click()                                    # the card opens the receipt at full paper width
            big = browser.find_element(By.ID, "viewer-img")
            WebDriverWait(browser, 10).until(lambda b: big.is_displayed() and big.size["width"] > 0)
            assert big.size["width"] == natural
            browser.save_screenshot(str(tmp_path / "console.png"))
            big.click()                                    # closes the viewer
            assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, "button.voice")] == ["voice0", "voice1"]
            browser.find_element(By.XPATH, "//button[text()='voice1']").click()   # one button a voice turns the knob
            WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "voice").text == "voice1")
            assert d.voice.name == "voice1"
        finally:
            browser.quit()
