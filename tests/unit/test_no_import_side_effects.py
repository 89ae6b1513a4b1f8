"""Importing any module of the package builds no engine, broker or client."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_importing_every_module_builds_nothing():
    script = textwrap.dedent(
        """
        import importlib, pkgutil
        import sqlalchemy, sqlalchemy.engine.create
        built = []
        def refuse(*args, **kwargs):
            built.append(args)
            raise AssertionError("built at import time")
        sqlalchemy.create_engine = refuse
        sqlalchemy.engine.create.create_engine = refuse
        import redis
        redis.Redis.__init__ = refuse
        import smtplib
        smtplib.SMTP.__init__ = refuse
        import workflow
        for module in pkgutil.walk_packages(workflow.__path__, "workflow."):
            if ".migrations" in module.name:
                continue
            importlib.import_module(module.name)
        import dramatiq
        assert built == [], built
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
