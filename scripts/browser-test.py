#!/usr/bin/env python3
"""The dashboard in a real browser (issue 20, "Tests"): headless Chromium through WebDriver
(Debian's chromium-driver, the selenium package in .build/browser-venv) against a real
`baton serve` whose agent is a fake Claude Code CLI (scripts below) that streams its output and
echoes the steering it is given.

  scripts/browser-test.py --baton .build/debug/baton             # the checks; exit 1 on a failure
  scripts/browser-test.py --baton ... --screenshots docs/screenshots  # board, issue page, fleet PNGs

Checks: sign in; a signed webhook makes a card appear on the board without a reload; the issue
page streams the agent's output; steering reaches the agent (it echoes it); abort moves the card
on a board open in another tab; a forged change without the CSRF token is refused; sign-out ends
the event stream; a viewer key sees no change controls; a Linear agent session (a signed
AgentSessionEvent) is listed on its issue's page with the thought Baton owes it; the page fits a
phone's width; the browser's console has no JavaScript or Content-Security-Policy errors.
"""
import argparse
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

# A Claude Code stand-in speaking stream-json (what ClaudeCodeRunner reads). The first run streams
# work until the test creates GO (after it has steered); steering then arrives as the prompt of a
# resumed run (`--resume`), which echoes it and keeps working until it is stopped (aborted) or
# until HOLD is gone.
FAKE_CLAUDE = r'''#!/usr/bin/env python3
import json, os, sys, time
GO = %(go)r
if "--version" in sys.argv:
    print("2.1.337 (Claude Code)")
    sys.exit(0)
prompt = sys.stdin.read()
resumed = "--resume" in sys.argv
session = "sess-" + os.environ.get("BATON_JOB_ID", "0")
def say(obj):
    obj["session_id"] = session
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
def text(t):
    say({"type": "assistant", "message": {"model": "fake-sonnet", "content": [{"type": "text", "text": t}]}})
say({"type": "system", "subtype": "init", "model": "fake-sonnet", "claude_code_version": "2.1.337"})
first = prompt.strip().splitlines()[0] if prompt.strip() else ""
if not resumed:
    text("agent: read the issue: " + first)
    say({"type": "assistant", "message": {"content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}}]}})
    step = 0
    deadline = time.time() + 40
    while time.time() < deadline and not os.path.exists(GO):
        step += 1
        text("agent: working, step %%d" %% step)
        time.sleep(0.4)
else:
    text("agent heard: " + prompt.strip())
    step = 0
    deadline = time.time() + 60
    while time.time() < deadline and os.path.exists(GO + ".hold"):
        step += 1
        text("agent: following the guidance, step %%d" %% step)
        time.sleep(0.5)
usage = {"fake-sonnet": {"inputTokens": 1200, "outputTokens": 340, "costUSD": 0.0123}}
say({"type": "result", "subtype": "success", "is_error": False, "result": "done: " + first, "num_turns": 2,
     "total_cost_usd": 0.0123, "modelUsage": usage})
'''

STEER = "please also update the docs"


class Failed(Exception):
    pass


class Run:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="baton-browser-")
        self.go = os.path.join(self.tmp, "go")
        self.results = []
        self.server = None
        self.driver = None

    # ------------------------------------------------------------------ the server

    def start_server(self):
        fake = os.path.join(self.tmp, "fake-claude")
        with open(fake, "w") as f:
            f.write(FAKE_CLAUDE % {"go": self.go})
        os.chmod(fake, 0o755)
        config = {
            "server": {"rate_limits": {"read": 1000000, "write": 1000000, "webhook": 1000000}},
            "agent": {"provider": "fake"},
            "providers": {"fake": {"kind": "claude-code", "command": fake, "models": ["fake-sonnet"]}},
            "sandbox": {"mode": "off"},
            "workspaces": {"root": os.path.join(self.tmp, "workspaces")},
            "budget": {"daily_limit_usd": 0.05},
            # Linear agent mode: sessions are stored and shown; with no app token in the vault,
            # their activities stay pending (nothing leaves the machine).
            "tracker": {"agent": {"enabled": True}},
        }
        cfg = os.path.join(self.tmp, "baton.json")
        with open(cfg, "w") as f:
            json.dump(config, f)
        self.data = os.path.join(self.tmp, "data")
        # The webhook signing secret is stored before the server starts, so the test can sign
        # deliveries as Linear does. (Stored from another process while the server runs, its
        # secret.changed event id is one the server's event bus never learns of, and live delivery
        # waits for it: that is what `baton webhook send` does on first use.)
        self.secret = os.urandom(16).hex()
        made = subprocess.run([self.args.baton, "secrets", "set", "linear_webhook_secret", "--data-dir", self.data],
                              input=self.secret, capture_output=True, text=True, timeout=30)
        if made.returncode != 0:
            raise Failed("secrets set: " + made.stderr)
        self.log = open(os.path.join(self.tmp, "serve.log"), "w+")
        self.server = subprocess.Popen(
            [self.args.baton, "serve", "--port", "0", "--data-dir", self.data, "--config", cfg, "--no-access-log"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.tmp)
        marker = "listening on http://127.0.0.1:"
        for _ in range(300):
            self.log.seek(0)
            text = self.log.read()
            if marker in text and os.path.exists(os.path.join(self.data, "admin.key")):
                port = "".join(c for c in text.split(marker, 1)[1][:6] if c.isdigit())
                self.base = "http://127.0.0.1:%s" % port
                break
            if self.server.poll() is not None:
                raise Failed("baton serve exited: " + text[-2000:])
            time.sleep(0.1)
        else:
            raise Failed("baton serve did not start")
        with open(os.path.join(self.data, "admin.key")) as f:
            self.admin = f.read().strip()
        self.viewer = self.call("POST", "/api/v1/keys", {"name": "browser-viewer", "role": "viewer"})[1]["key"]
        # The embedded worker must be online before the webhook, so the card goes on to running.
        self.until(lambda: any(w["online"] for w in self.call("GET", "/api/workers")[1]["workers"]), 20, "no worker online")

    def call(self, method, path, body=None, headers=None, key=None):
        h = {"Authorization": "Bearer " + (key or self.admin)}
        h.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def webhook(self, ident, title, labels="", state="Todo", action="create"):
        """A delivery in Linear's shape, signed with HMAC-SHA256 like Linear does (LinearWebhook)."""
        now = int(time.time() * 1000)
        at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now / 1000)) + ".%03dZ" % (now % 1000)
        payload = {
            "action": action, "type": "Issue", "createdAt": at, "webhookTimestamp": now,
            "data": {
                "id": "browser-" + ident.lower(), "identifier": ident, "title": title,
                "description": "Filed by the browser test.", "priority": 2, "state": {"name": state},
                "labels": [{"name": l} for l in labels.split(",") if l], "team": {"key": ident.split("-")[0]},
                "url": "https://linear.app/acme/issue/" + ident, "createdAt": at, "project": None,
            },
        }
        self.deliver(payload)

    def deliver(self, payload):
        body = json.dumps(payload).encode()
        signature = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(self.base + "/webhooks/linear", data=body, method="POST", headers={
            "Content-Type": "application/json", "Linear-Signature": signature, "Linear-Event": payload["type"],
            "Linear-Delivery": os.urandom(16).hex()})
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = json.loads(r.read())
        if r.status != 200 or answer.get("duplicate") is not False:
            raise Failed("the webhook was not taken: %s %r" % (r.status, answer))

    # ------------------------------------------------------------------ the browser

    def start_browser(self, width=1280, height=800):
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--window-size=%d,%d" % (width, height), "--user-data-dir=" + os.path.join(self.tmp, "profile"),
                    "--force-color-profile=srgb", "--hide-scrollbars"]:
            options.add_argument(arg)
        if self.args.dark:
            options.add_argument("--force-dark-mode")
            options.add_argument("--blink-settings=preferredColorScheme=0")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.driver.set_window_size(width, height)
        self.console = []

    def wait(self, predicate, timeout=15, what="a condition"):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: predicate())
        except TimeoutException:
            raise Failed("timed out waiting for %s (page: %s)" % (what, self.page_text()[:600]))

    def until(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if predicate():
                    return
            except Exception:
                pass
            time.sleep(0.2)
        raise Failed("timed out waiting for " + what)

    def page_text(self):
        try:
            return self.driver.find_element(By.TAG_NAME, "body").text
        except Exception:
            return ""

    def q(self, css):
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found else None

    def text_of(self, css):
        el = self.q(css)
        return el.text if el else ""

    def collect_console(self):
        try:
            self.console += self.driver.get_log("browser")
        except Exception:
            pass

    def sign_in(self, key):
        self.driver.get(self.base + "/")
        self.wait(lambda: self.q("#signin #key"), what="the sign-in form")
        self.q("#key").send_keys(key)
        self.q("#key").send_keys(Keys.ENTER)
        self.wait(lambda: self.q("#board"), what="the board")
        self.wait(lambda: self.driver.execute_script("return document.body.dataset.stream") == "live", what="the live stream")

    def column_of(self, ident):
        return self.driver.execute_script(
            "const c = document.querySelector('#board li[data-issue=\"' + arguments[0] + '\"]');"
            "return c ? c.closest('section').dataset.state : null;", ident)

    # ------------------------------------------------------------------ checks

    def check(self, name, fn):
        started = time.time()
        try:
            fn()
            self.results.append((name, True, ""))
            print("ok   %-60s %.1fs" % (name, time.time() - started), flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported and counted
            detail = "%s: %s" % (type(e).__name__, e)
            self.results.append((name, False, detail))
            print("FAIL %-60s %s" % (name, detail), flush=True)
            if self.args.verbose:
                traceback.print_exc()

    def test_sign_in(self):
        self.sign_in(self.admin)
        who = self.text_of("#who")
        if "admin" not in who:
            raise Failed("the header does not show the role: %r" % who)
        if "— Baton" not in self.driver.title:
            raise Failed("no counts in the title: %r" % self.driver.title)

    def test_card_appears_live(self):
        self.driver.execute_script("window.__sameDocument = true;")
        self.webhook("ENG-1", "Fix the login page", labels="bug,auth")
        self.wait(lambda: self.column_of("ENG-1") in ("queued", "running"), 15, "the ENG-1 card")
        self.wait(lambda: self.column_of("ENG-1") == "running", 20, "ENG-1 running")
        if not self.driver.execute_script("return window.__sameDocument === true"):
            raise Failed("the page was reloaded")
        self.wait(lambda: "running" in self.driver.title, 5, "the running count in the title")
        card = self.text_of('#board li[data-issue="ENG-1"]')
        for part in ["Fix the login page", "Attempts", "fake", "local-1"]:
            if part not in card:
                raise Failed("the card lacks %r: %r" % (part, card))

    def test_filter_and_search(self):
        search = self.q("#search")
        search.send_keys("nothing-matches-this")
        self.wait(lambda: self.q('#board li[data-issue="ENG-1"]') is None, 5, "the card filtered out")
        search.clear()
        search.send_keys("login")
        self.wait(lambda: self.q('#board li[data-issue="ENG-1"]') is not None, 5, "the card found by search")
        search.clear()
        search.send_keys(Keys.BACKSPACE)

    def test_issue_page_streams(self):
        # Keyboard: the card is a link that Enter follows.
        link = self.q('#board li[data-issue="ENG-1"] a.card-link')
        link.send_keys(Keys.ENTER)
        self.wait(lambda: self.q("#output") and "agent: working, step" in self.text_of("#output"), 20, "the agent's output")
        first = self.text_of("#output").count("\n")
        self.wait(lambda: self.text_of("#output").count("\n") >= first + 3, 10, "more output streaming in")
        if "agent: read the issue: You are working on ENG-1" not in self.text_of("#output"):
            raise Failed("the first messages are missing: %r" % self.text_of("#output")[:300])
        if "turn 1" not in self.text_of("#output-meta") or "tool calls" not in self.text_of("#output-meta"):
            raise Failed("no turn and tool calls: %r" % self.text_of("#output-meta"))
        if not self.q("#linear-link"):
            raise Failed("no link to the Linear issue")
        if "Rendered prompt" not in self.page_text():
            raise Failed("no rendered prompt")
        # A message being typed survives a live update that redraws the controls.
        self.q("#steer-message").send_keys("half a thought")
        status, _ = self.call("POST", "/api/v1/ENG-1/model", {"model": "fake-opus"})
        if status != 202:
            raise Failed("model override: %s" % status)
        self.wait(lambda: "fake-opus" in self.text_of("#main"), 10, "the model override on the page")
        if self.q("#steer-message").get_attribute("value") != "half a thought":
            raise Failed("the steer box lost what was typed")
        self.q("#steer-message").clear()

    def test_steer_reaches_the_agent(self):
        open(self.go + ".hold", "w").close()  # the resumed run keeps working until the abort
        box = self.q("#steer-message")
        box.send_keys(STEER)
        self.q('#steer-form button[type="submit"]').click()
        self.wait(lambda: "Sent." in self.text_of("#steer-form"), 10, "the steer to be accepted")
        # The worker picks the message up with its next progress report (its answer carries it);
        # once it has, the first run may end and the message becomes the resumed run's prompt.
        self.until(self.steer_delivered, 15, "the worker to take the steering message")
        open(self.go, "w").close()
        self.wait(lambda: ("agent heard: " + STEER) in self.text_of("#output"), 25, "the agent echoing the steer")
        lines = self.text_of("#output").splitlines()
        if lines.count("agent: working, step 1") != 1 or lines.count("agent heard: " + STEER) != 1:
            raise Failed("the output repeats itself: %r" % lines[:40])

    def test_abort_moves_the_card(self):
        issue_tab = self.driver.current_window_handle
        self.driver.switch_to.new_window("tab")
        board_tab = self.driver.current_window_handle
        self.driver.get(self.base + "/#/board")
        self.wait(lambda: self.column_of("ENG-1") == "running", 15, "ENG-1 running on the second tab's board")
        self.wait(lambda: self.driver.execute_script("return document.body.dataset.stream") == "live", 10, "the live stream")
        self.driver.execute_script("window.__sameDocument = true;")
        self.driver.switch_to.window(issue_tab)
        self.q("#abort").click()
        self.wait(lambda: self.q("#abort-confirm"), 5, "the abort confirmation")
        self.q("#abort-reason").send_keys("the browser test stops it")
        self.q("#abort-confirm").click()
        self.wait(lambda: self.text_of("#issue-state") == "aborted", 15, "the issue page to show aborted")
        self.driver.switch_to.window(board_tab)
        self.wait(lambda: self.column_of("ENG-1") == "aborted", 15, "the card to move to aborted")
        if not self.driver.execute_script("return window.__sameDocument === true"):
            raise Failed("the board was reloaded")
        self.collect_console()
        self.driver.close()
        self.driver.switch_to.window(issue_tab)

    def test_errors_in_words(self):
        # Moving an aborted issue to aborted again is not in the state table: the API's refusal is shown.
        self.driver.get(self.base + "/#/issues/ENG-1")
        self.wait(lambda: self.q("#steer-form"), 10, "the issue page")
        self.q("#steer-message").send_keys("too late")
        self.q('#steer-form button[type="submit"]').click()
        self.wait(lambda: self.q("#steer-form .error"), 10, "the refusal")
        text = self.text_of("#steer-form .error")
        if "(409)" not in text and "(422)" not in text and "(400)" not in text:
            raise Failed("the refusal is not shown in words: %r" % text)

    def test_forged_change_is_refused(self):
        script = """
            const done = arguments[arguments.length - 1];
            Promise.all([
              fetch('/api/v1/ENG-1/transition', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({to: 'queued'})}).then(r => r.status),
              fetch('/api/v1/ENG-1/transition', {method: 'POST', headers: {'Content-Type': 'application/json',
                'X-CSRF-Token': 'forged'}, body: JSON.stringify({to: 'queued'})}).then(r => r.status),
              fetch('/api/v1/session').then(r => r.status),
            ]).then(done, e => done(String(e)));
        """
        statuses = self.driver.execute_async_script(script)
        if statuses != [403, 403, 200]:
            raise Failed("a change without (or with a wrong) CSRF token answered %r" % (statuses,))
        state = self.call("GET", "/api/v1/ENG-1")[1]["state"]
        if state != "aborted":
            raise Failed("the forged change moved the issue to %s" % state)

    def steer_delivered(self):
        db = sqlite3.connect(os.path.join(self.data, "baton.db"), timeout=5)
        try:
            return db.execute("SELECT count(*) FROM job_steers WHERE delivered_at IS NOT NULL").fetchone()[0] > 0
        finally:
            db.close()

    def test_killswitch_and_overlay_controls(self):
        # Levels 3 and 4 ask first; cancelling changes nothing.
        self.driver.get(self.base + "/#/fleet")
        self.wait(lambda: self.q("#ks-form"), 10, "the killswitch form")
        self.q("#ks-4").click()
        self.q("#ks-reason").send_keys("checking the confirmation")
        self.q('#ks-form button[type="submit"]').click()
        self.wait(lambda: self.q("#ks-confirm"), 5, "the confirmation for level 4")
        self.driver.find_element(By.XPATH, "//div[@class='confirm']//button[text()='Cancel']").click()
        if self.call("GET", "/tenant/killswitch")[1]["level"] != 0:
            raise Failed("the killswitch changed without a confirmation")
        # The overlay editor shows the validator's problems at their JSON pointers.
        self.driver.get(self.base + "/#/settings/config")
        self.wait(lambda: self.q("#overlay-editor"), 10, "the overlay editor")
        editor = self.q("#overlay-editor")
        editor.clear()
        editor.send_keys('{"agent": {"max_turns": "many"}}')
        self.q('#overlay-form button[type="submit"]').click()
        self.wait(lambda: self.q("#overlay-form .error .details"), 10, "the validator's errors")
        if "/agent/max_turns" not in self.text_of("#overlay-form .error"):
            raise Failed("no JSON pointer in %r" % self.text_of("#overlay-form .error"))
        # The template editor's preview is the server's render of the text as typed.
        self.driver.get(self.base + "/#/settings/templates")
        self.wait(lambda: self.q("#template-body"), 10, "the template editor")
        editor = self.q("#template-body")
        editor.clear()
        editor.send_keys("Hello {{ issue.identifier | downcase }}")
        self.wait(lambda: self.text_of("#template-preview") == "Hello eng-123", 10, "the server's preview")
        editor.send_keys(" {% if %}")
        self.wait(lambda: self.q("#template-preview .error"), 10, "the template error")
        # The audit page says what `baton audit verify` would (the admin is of the system tenant).
        self.driver.get(self.base + "/#/settings/audit")
        self.wait(lambda: self.q("#audit-verify"), 10, "the audit chain's verification")
        if not self.text_of("#audit-verify").startswith("Chain intact:"):
            raise Failed("audit verification: %r" % self.text_of("#audit-verify"))

    def test_sign_out_ends_the_stream(self):
        cookie = self.driver.get_cookie("baton_session")
        if not cookie or not cookie.get("httpOnly"):
            raise Failed("no HttpOnly session cookie: %r" % (cookie,))
        if self.driver.execute_script("return document.cookie").find("baton_session") >= 0:
            raise Failed("the page's script can read the session cookie")
        req = urllib.request.Request(self.base + "/api/v1/events",
                                     headers={"Cookie": "baton_session=" + cookie["value"]})
        stream = urllib.request.urlopen(req, timeout=15)
        ended = threading.Event()

        def drain():
            try:
                while stream.readline():
                    pass
            except Exception:
                pass
            ended.set()

        threading.Thread(target=drain, daemon=True).start()
        time.sleep(0.5)
        if ended.is_set():
            raise Failed("the stream ended before sign-out")
        self.q("#signout").click()
        self.wait(lambda: self.q("#signin"), 10, "the sign-in form")
        if not ended.wait(8):
            raise Failed("the event stream outlived the session")
        if self.driver.execute_script("return document.body.dataset.stream") != "ended":
            raise Failed("the page's stream is not ended")
        status = self.driver.execute_async_script(
            "const done = arguments[0]; fetch('/api/v1/state').then(r => done(r.status), e => done(String(e)));")
        if status != 401:
            raise Failed("after sign-out the API answered %r" % status)

    def test_viewer_sees_no_change_controls(self):
        self.sign_in(self.viewer)
        if "viewer" not in self.text_of("#who"):
            raise Failed("not signed in as a viewer")
        self.wait(lambda: self.column_of("ENG-1") == "aborted", 10, "the viewer's board")
        self.driver.get(self.base + "/#/issues/ENG-1")
        self.wait(lambda: self.q("#issue-state"), 10, "the viewer's issue page")
        forbidden = ["#steer-form", "#abort", "#transition-form", "#model-form", "#template-form"]
        present = [c for c in forbidden if self.q(c)]
        if present:
            raise Failed("a viewer sees change controls: %r" % present)
        self.driver.get(self.base + "/#/fleet")
        self.wait(lambda: self.q("#workers table"), 10, "the fleet page")
        present = [c for c in ["#ks-form", "button.pause", "button.resume", "button.remove"] if self.q(c)]
        if present:
            raise Failed("a viewer sees fleet controls: %r" % present)
        self.driver.get(self.base + "/#/settings/config")
        self.wait(lambda: self.q("table.config"), 10, "the settings page")
        if self.q("#overlay-form") or "API keys" in self.text_of("nav.tabs"):
            raise Failed("a viewer sees admin settings")
        # The API refuses a viewer's change even with the CSRF token.
        status = self.driver.execute_async_script("""
            const done = arguments[0];
            fetch('/api/v1/session').then(r => r.json()).then(s => fetch('/api/v1/ENG-1/transition', {method: 'POST',
              headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token}, body: JSON.stringify({to: 'queued'})}))
              .then(r => done(r.status), e => done(String(e)));""")
        if status != 403:
            raise Failed("a viewer's change answered %r" % status)

    def test_agent_session_panel(self):
        # A delegation in Linear's AgentSessionEvent shape: the issue page lists the session and
        # the thought Baton owes it, pending (no app token here), with the reason.
        now = int(time.time() * 1000)
        at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now / 1000)) + ".%03dZ" % (now % 1000)
        issue = {"id": "browser-eng-7", "identifier": "ENG-7", "title": "Delegated in Linear", "description": "",
                 "url": "https://linear.app/acme/issue/ENG-7", "teamId": "t1",
                 "team": {"id": "t1", "key": "ENG", "name": "Engineering"}}
        self.deliver({
            "type": "AgentSessionEvent", "action": "created", "createdAt": at, "webhookTimestamp": now,
            "organizationId": "org-1", "oauthClientId": "client-1", "appUserId": "app-1", "webhookId": "wh-1",
            "promptContext": "<issue identifier=\"ENG-7\">Delegated in Linear</issue>",
            "agentSession": {"id": "browser-session-1", "appUserId": "app-1", "organizationId": "org-1",
                             "status": "pending", "type": "commentThread", "createdAt": at, "updatedAt": at,
                             "issueId": "browser-eng-7", "issue": issue,
                             "creator": {"id": "u-1", "name": "Ada", "email": "ada@example.com", "url": "https://linear.app/u/ada"}},
        })
        self.driver.get(self.base + "/#/issues/ENG-7")
        self.wait(lambda: self.q("#agent-sessions li.activity"), 15, "the agent session panel")
        text = self.text_of("#agent-sessions")
        for want in ["browser-session-1", "thought", "Baton is starting work on ENG-7.", "pending"]:
            if want not in text:
                raise Failed("the agent session panel lacks %r: %r" % (want, text[:400]))

    def test_pages_render(self):
        for page, css in [("#/fleet", "#workers table"), ("#/cost", "svg.chart"), ("#/settings/templates", "#template-form"),
                          ("#/settings/secrets", "#sec-h"), ("#/settings/audit", "#audit-h")]:
            self.driver.get(self.base + "/" + page)
            self.wait(lambda: self.q(css), 10, css + " on " + page)

    def test_phone_width(self):
        self.driver.set_window_size(390, 844)
        for page in ["#/board", "#/issues/ENG-1", "#/fleet", "#/cost"]:
            self.driver.get(self.base + "/" + page)
            self.wait(lambda: self.q("#page-title") and "Loading" not in self.page_text(), 10, page)
            time.sleep(0.3)
            wide = self.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            if wide > 2:
                raise Failed("%s is %dpx wider than a phone's screen" % (page, wide))
        self.driver.set_window_size(1280, 800)

    def test_console_is_clean(self):
        self.collect_console()
        bad = [e for e in self.console
               if e.get("level") == "SEVERE" and e.get("source") not in ("network",)
               or "Content Security Policy" in e.get("message", "") or "Uncaught" in e.get("message", "")]
        if bad:
            raise Failed("browser console: %s" % json.dumps(bad)[:1500])

    # ------------------------------------------------------------------ screenshots

    def screenshots(self, out):
        os.makedirs(out, exist_ok=True)
        self.sign_in(self.admin)
        for ident, title, labels in [("ENG-1", "Fix the login redirect loop", "bug,auth"),
                                     ("ENG-2", "Add rate limiting to the export API", "feature"),
                                     ("ENG-3", "Flaky checkout test on CI", "bug,ci")]:
            self.webhook(ident, title, labels)
            time.sleep(0.5)
        # ENG-1 finishes (GO exists), ENG-2 is aborted, ENG-3 keeps running while the pictures are taken.
        self.wait(lambda: self.column_of("ENG-1") == "running", 20, "ENG-1 running")
        open(self.go, "w").close()
        self.wait(lambda: self.column_of("ENG-1") == "completed", 30, "ENG-1 completed")
        os.remove(self.go)
        self.wait(lambda: self.column_of("ENG-2") == "running", 30, "ENG-2 running")
        self.call("POST", "/api/v1/ENG-2/abort", {"reason": "duplicate of ENG-9"})
        self.wait(lambda: self.column_of("ENG-3") == "running", 30, "ENG-3 running")
        time.sleep(3)
        self.driver.save_screenshot(os.path.join(out, "board.png"))
        self.driver.get(self.base + "/#/issues/ENG-3")
        self.wait(lambda: "agent: working, step" in self.text_of("#output"), 20, "ENG-3's output")
        time.sleep(2)
        self.driver.save_screenshot(os.path.join(out, "issue.png"))
        self.driver.get(self.base + "/#/fleet")
        self.wait(lambda: self.q("#workers table"), 10, "the fleet")
        time.sleep(1)
        self.driver.save_screenshot(os.path.join(out, "fleet.png"))
        print("screenshots: %s" % ", ".join(sorted(os.listdir(out))))

    # ------------------------------------------------------------------ run

    def run(self):
        status = 1
        try:
            self.start_server()
            self.start_browser()
            if self.args.screenshots:
                self.screenshots(self.args.screenshots)
                status = 0
                return status
            for name in ["sign_in", "card_appears_live", "filter_and_search", "issue_page_streams",
                         "steer_reaches_the_agent", "abort_moves_the_card", "errors_in_words",
                         "forged_change_is_refused", "killswitch_and_overlay_controls", "sign_out_ends_the_stream", "viewer_sees_no_change_controls",
                         "agent_session_panel", "pages_render", "phone_width", "console_is_clean"]:
                self.check(name.replace("_", " "), getattr(self, "test_" + name))
            failed = sum(1 for r in self.results if not r[1])
            print("%d passed, %d failed" % (len(self.results) - failed, failed))
            status = 0 if failed == 0 else 1
        except Exception as e:  # noqa: BLE001
            print("browser-test: %s: %s" % (type(e).__name__, e))
            traceback.print_exc()
            status = 1
        finally:
            if status != 0 and self.server is not None:
                self.log.seek(0)
                print("--- serve log (tail) ---\n" + self.log.read()[-3000:])
            if self.driver is not None:
                self.driver.quit()
            if self.server is not None:
                self.server.terminate()
                try:
                    self.server.wait(15)
                except subprocess.TimeoutExpired:
                    self.server.kill()
            if self.args.keep:
                print("kept " + self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        return status


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baton", required=True, help="the baton binary")
    parser.add_argument("--screenshots", help="write board.png, issue.png and fleet.png here instead of testing")
    parser.add_argument("--dark", action="store_true", help="prefer the dark colour scheme")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for a driver online
    sys.exit(Run(args).run())


if __name__ == "__main__":
    main()
