"""The anchoring worker against real nodes: a crash between send and record, a chain outage."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import connect
from ledger.chain.base import AnchorChain
from ledger.connection import ChainHandle
from marketplace.db import make_engine
from tests.chain_fixtures import RECORDER_KEY
from tests.conftest import create_tables
from tests.ledger.helpers import journal_n

CONFIG = AnchorConfig(batch_entries_max=10, batch_age_s=0, poll_s=0.05, lease_s=0.5)

_CRASHING_WORKER = textwrap.dedent(
    """
    import os, signal, sys
    from ledger.anchoring import AnchorConfig, AnchorWorker
    from ledger.chain import connect
    from marketplace.db import make_engine

    db_url, chain_url, contract, key = sys.argv[1:5]
    engine = make_engine(db_url)
    chain = connect(chain_url, recorder_key=key, contract_address=contract)

    def die(point, batch):
        if point == "sent" and batch.id == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # between send and record

    worker = AnchorWorker(engine, lambda: chain, AnchorConfig(batch_entries_max=10, batch_age_s=0,
                          lease_s=0.5), hook=die)
    worker.run_until_anchored(timeout_s=60)
    """
)


def _ranges(chain: AnchorChain) -> list[tuple[int, int]]:
    out = []
    for batch_id in range(1, chain.batch_count() + 1):
        b = chain.batch(batch_id)
        assert b is not None
        out.append((b.first_seq, b.last_seq))
    return out


def test_worker_killed_between_send_and_record_anchors_each_batch_once(
    tmp_path: Path, anvil_node: Any
) -> None:
    db_url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    engine = make_engine(db_url)
    create_tables(engine)
    journal_n(engine, 25)
    chain = connect(anvil_node.url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        process = subprocess.run(  # noqa: S603 -- our own interpreter and script
            [
                sys.executable,
                "-c",
                _CRASHING_WORKER,
                db_url,
                anvil_node.url,
                chain.contract_address,
                RECORDER_KEY,
            ],
            capture_output=True,
            timeout=120,
            check=False,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        assert process.returncode == -signal.SIGKILL, process.stderr.decode()[-2000:]
        assert _ranges(chain) == [(1, 10), (11, 20)]  # batch 2 landed, never recorded
        AnchorWorker(engine, lambda: chain, CONFIG).run_until_anchored(timeout_s=60)
        assert _ranges(chain) == [(1, 10), (11, 20), (21, 25)]
    finally:
        chain.close()
        engine.dispose()


@pytest.mark.slow
def test_chain_outage_loses_nothing_and_catches_up(engine: Engine, anvil_node: Any) -> None:
    chain = ChainHandle(engine, anvil_node.url, recorder_key=RECORDER_KEY, contract_address=None)
    worker = AnchorWorker(engine, chain.get, CONFIG)
    journal_n(engine, 15)
    worker.start()
    stop_writing = threading.Event()
    written = [15]

    def writer() -> None:
        while not stop_writing.is_set():
            journal_n(engine, 3, start=written[0])
            written[0] += 3
            time.sleep(0.05)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.5)
        anvil_node.stop()
        before = written[0]
        time.sleep(2.0)  # the business keeps journaling while the chain is down
        assert written[0] > before
        assert worker.state.chain_ok is False
        anvil_node.start()
        time.sleep(0.5)
        stop_writing.set()
        thread.join(timeout=10)
        deadline = time.monotonic() + 60
        while not worker.all_confirmed() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop_writing.set()
        thread.join(timeout=10)
        worker.stop()
    assert worker.all_confirmed()
    ranges = _ranges(chain.get())
    assert ranges[-1][1] == written[0]
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))
    chain.close()
