"""The pytest plugin: cheap to load, and its fixtures in someone else's suite."""

from __future__ import annotations

import subprocess
import sys

pytest_plugins = ("pytester",)


def test_loading_the_plugin_imports_no_http_library():
    code = (
        "import sys, consul.testing.pytest_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'requests'))\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_consul_agent_is_shared_and_reset_for_each_test(pytester):
    pytester.makepyfile(
        """
        import requests

        def test_write(consul_agent):
            assert requests.put(consul_agent.url + "/v1/kv/k", data=b"v").json() is True

        def test_fresh(consul_agent):
            assert requests.get(consul_agent.url + "/v1/kv/k").status_code == 404

        def test_same_agent(consul_agent, consul_agent_session):
            assert consul_agent is consul_agent_session
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_consul_acl_agent_denies_by_default(pytester):
    pytester.makepyfile(
        """
        import requests

        def test_acl(consul_acl_agent):
            token = consul_acl_agent.management_token
            assert token
            response = requests.get(consul_acl_agent.url + "/v1/status/leader")
            assert response.headers["X-Consul-Default-ACL-Policy"] == "deny"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_async_tests_can_use_the_shared_agent(pytester):
    pytester.makepyfile(
        """
        import asyncio
        import aiohttp

        def test_in_a_running_loop(consul_agent):
            async def main():
                async with aiohttp.ClientSession() as session:
                    async with session.get(consul_agent.url + "/v1/status/leader") as r:
                        return await r.json()

            assert asyncio.run(main()) == "127.0.0.1:8300"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
