"""How ``newsum flower`` starts Flower: never without a password, never with it in argv."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from newsum.config import Settings
from newsum.errors import ApiMisconfigured
from newsum.queue.flower import flower_launch


def test_flower_launch_needs_a_password_and_keeps_it_off_the_command_line() -> None:
    with pytest.raises(ApiMisconfigured, match="NEWSUM_FLOWER_PASSWORD"):
        flower_launch(Settings(), {})
    with pytest.raises(ApiMisconfigured, match="','"):
        flower_launch(Settings(flower_password=SecretStr("a,b-long-enough-for-flower")), {})
    launch = flower_launch(
        Settings(flower_password=SecretStr("s3cret:x-long-flower-pass"), flower_port=5601),
        {"PATH": "/bin", "FLOWER_UNAUTHENTICATED_API": "true", "FLOWER_BASIC_AUTH": "a:b"},
    )
    assert not any("s3cret" in arg for arg in launch.argv)
    assert "--port=5601" in launch.argv
    assert launch.env == {"PATH": "/bin", "FLOWER_BASIC_AUTH": "admin:s3cret:x-long-flower-pass"}


def test_flower_launch_refuses_a_short_password_or_one_shared_with_the_api() -> None:
    with pytest.raises(ApiMisconfigured, match="at least 16 characters.*token_urlsafe"):
        flower_launch(Settings.model_construct(flower_password=SecretStr("short-pass"),
                                               api_token=None), {})
    shared = "one-secret-for-two-jobs-0123456789abcdef"
    with pytest.raises(ApiMisconfigured, match="NEWSUM_FLOWER_PASSWORD equals NEWSUM_API_TOKEN"):
        flower_launch(Settings().model_copy(update={
            "flower_password": SecretStr(shared), "api_token": SecretStr(shared)}), {})
