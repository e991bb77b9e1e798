"""Django's SQLite backend, with the process's writers taking turns in a queue of their own.

SQLite lets one writer at a time hold its write lock (taken at BEGIN: transaction_mode IMMEDIATE). The others wait in
SQLite's busy handler, which polls, sleeping up to 100 ms between tries: under a burst (hundreds of concurrent sends,
each several short write transactions) the lock sat idle between writers, and a writer that kept losing the race
gave up after the busy timeout with "database is locked", a 500. Here the threads of one process wait for their turn
on a lock of the process, and the next is woken as soon as the last one commits; SQLite's own busy timeout still
settles turns between processes. A writer that waits longer than that timeout for its turn goes on to BEGIN anyway,
so nothing can wait here forever (e.g. a test holding a transaction while another thread writes).
"""

import threading

from django.db.backends.sqlite3 import base

_turn = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _has_turn = False

    def _start_transaction_under_autocommit(self):
        self._has_turn = _turn.acquire(timeout=self.settings_dict["OPTIONS"].get("timeout", 5))
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        if self._has_turn:
            self._has_turn = False
            _turn.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._end_turn()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._end_turn()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._end_turn()
