"""The one settings object of newsum.

Every value comes from (highest first): explicit arguments, ``NEWSUM_*`` environment
variables, an optional TOML config file (``NEWSUM_CONFIG_FILE`` or ``./newsum.toml``),
then the defaults below. Nothing else in newsum reads ``os.environ``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

from newsum.errors import SettingsInvalid, validation_problems

DEFAULT_CONFIG_FILE = "newsum.toml"
MIN_SECRET_LENGTH = 32
MIN_FLOWER_PASSWORD_LENGTH = 16
GENERATE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
# Each secret does one job; one value in two places would hand one job's power to another.
SECRET_SETTINGS = {
    "api_token": ("NEWSUM_API_TOKEN", MIN_SECRET_LENGTH),
    "metrics_token": ("NEWSUM_METRICS_TOKEN", MIN_SECRET_LENGTH),
    "review_secret_key": ("NEWSUM_REVIEW_SECRET_KEY", MIN_SECRET_LENGTH),
    "flower_password": ("NEWSUM_FLOWER_PASSWORD", MIN_FLOWER_PASSWORD_LENGTH),
}

# How a base model is held in memory: 4-bit NormalFloat, or bf16/fp32 weights.
Precision = Literal["nf4", "bf16", "fp32"]
# Which checked summaries are published as done (the rest wait in needs_review).
FaithfulnessPolicy = Literal["strict", "lenient"]


class ArticleSource(BaseSettings):
    """Where the CMS keeps its articles. newsum reads this table and never migrates it."""

    model_config = SettingsConfigDict(extra="forbid")

    table: str = Field("articles", description="Name of the CMS's article table.")
    schema_name: str | None = Field(None, description="Schema of the article table, if any.")
    id_column: str = Field("id", description="Integer primary key column.")
    title_column: str = Field("title", description="Headline column.")
    body_column: str = Field("body", description="Full article text column.")
    section_column: str = Field("section", description="Section (politics, sport, ...).")
    language_column: str = Field("language", description="Language code (en, pt-BR, ...).")
    url_column: str = Field("url", description="Public URL of the article.")
    published_at_column: str = Field("published_at", description="Publication timestamp.")
    updated_at_column: str = Field("updated_at", description="Last edit timestamp.")
    summary_column: str | None = Field(
        None,
        description="Editor-written summary column, used as training data when set.",
    )


class StrictTomlSource(TomlConfigSettingsSource):
    """The settings file, refusing a key no setting has: a misspelt key would otherwise
    vanish silently and leave its default in force."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path) -> None:
        super().__init__(settings_cls, toml_file=toml_file)
        known = set(settings_cls.model_fields)
        unknown = sorted(key for key in self.toml_data if key not in known)
        if unknown:
            raise SettingsInvalid(
                f"invalid settings: {toml_file}: unknown key(s) {', '.join(unknown)}"
                " (`newsum config --table` lists every setting)"
            )


class Settings(BaseSettings):
    """Effective configuration of newsum (one object for every job)."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSUM_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    # --- storage -------------------------------------------------------------------
    database_url: str = Field(
        "sqlite:///newsum.db",
        description="SQLAlchemy URL of the newsroom database (SQLite file by default).",
    )
    articles: ArticleSource = Field(
        default_factory=ArticleSource, description="Table and column names of the CMS."
    )
    data_dir: Path = Field(
        Path(".newsum"), description="Where models, adapters and reports are written."
    )

    # --- queue ---------------------------------------------------------------------
    broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Celery broker URL (Redis in production)."
    )
    result_backend: str | None = Field(
        None, description="Celery result backend; none by default (results live in the DB)."
    )
    queue_name: str = Field("summarize", description="Celery queue the workers consume.")
    broker_key_prefix: str = Field(
        "", description="Prefix for every Redis key the broker writes (isolates deployments)."
    )
    visibility_timeout_s: int = Field(
        3600,
        gt=0, description="Redis visibility timeout; must exceed the longest batch.",
    )
    task_soft_time_limit_s: int = Field(
        900, ge=0, description="Soft time limit of one batch (0: none); below the hard limit."
    )
    task_time_limit_s: int = Field(
        1200, ge=0, description="Hard time limit of one batch (0: none); below the visibility"
        " timeout."
    )
    worker_prefetch_multiplier: int = Field(
        2,
        gt=0, description="Batches a worker process holds (Celery's prefetch is batch_size x this);"
        " 2 keeps the next batch ready while one generates.",
    )
    batch_size: int = Field(16, gt=0, description="Articles per generation batch (flush size).")
    batch_flush_interval_s: float = Field(
        2.0, gt=0, description="Seconds to wait for a batch to fill before generating anyway."
    )
    queue_high_water: int = Field(
        5000, gt=0, description="Backfill pauses while the queue is deeper than this."
    )
    sweeper_interval_s: int = Field(300, gt=0, description="Seconds between sweeper runs.")
    sweeper_limit: int = Field(1000, gt=0, description="Most articles one sweeper run enqueues.")
    sweeper_window_s: int = Field(
        86400, gt=0, description="The sweeper looks at articles published or updated this recently."
    )
    queue_claim_timeout_s: int = Field(
        7200,
        gt=0,
        description="A queue claim older than this counts as lost; the id may be queued again.",
    )
    enqueue_chunk_size: int = Field(500, gt=0, description="Ids claimed and sent per round trip.")
    event_retention_days: int = Field(
        30,
        gt=0,
        description="The sweeper deletes recorded problems (`newsum status`) older than this.",
    )
    status_window_h: float = Field(
        24.0,
        gt=0,
        description="`newsum status` shows the problems recorded within this many hours.",
    )
    broker_connect_timeout_s: float = Field(
        3.0, gt=0, description="Seconds an enqueue waits for the broker before giving up."
    )
    broker_read_timeout_s: float = Field(
        5.0, gt=0, description="Seconds any Redis command (workers, producers, newsum's own"
        " clients) waits for an answer; a stalled Redis is then reported, not waited on.",
    )
    broker_publish_retries: int = Field(
        2, ge=0, description="Extra tries of a message publish that failed (a dropped link).",
    )
    task_max_retries: int = Field(
        5, ge=0, description="Retries of a batch after a transient fault (database/broker down)."
    )
    task_retry_backoff_s: float = Field(
        2.0, ge=0, description="First retry delay; doubles on each retry (exponential backoff)."
    )
    task_retry_backoff_max_s: float = Field(300.0, gt=0, description="Longest retry delay.")
    model_load_timeout_s: int = Field(
        900, gt=0, description="Seconds a worker process may spend loading the model at start."
    )

    # --- model ---------------------------------------------------------------------
    base_model: str = Field(
        "meta-llama/Llama-2-7b-hf", description="Hub id or local path of the base model."
    )
    adapter_dir: Path | None = Field(
        None,
        description="Adapter served in place of the active model version's own (a version"
        " must still be promoted); unset: the active version's adapter.",
    )
    precision: Precision = Field(
        "nf4",
        description="Serving precision: nf4 (4-bit, least memory) or bf16/fp32 (adapter merged).",
    )
    device: str = Field("auto", description="'auto', 'cuda', 'cuda:N' or 'cpu'.")
    faithfulness_policy: FaithfulnessPolicy = Field(
        "strict",
        description="strict: a summary with any faithfulness finding waits in needs_review;"
        " lenient: length findings alone do not hold it (unsupported facts always do).",
    )
    faithfulness_model: str | None = Field(
        None,
        description="Hub id or local path of a sequence-classification NLI or fact-checking"
        " model; a summary must then pass it as well as the rules (unset: the rules alone).",
    )
    faithfulness_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Entailment score a summary needs to pass; unset: the latest"
        " `newsum faithfulness calibrate` result recorded for the model, else 0.5.",
    )
    faithfulness_batch_size: int = Field(
        32, gt=0, description="Sentence and article-chunk pairs the entailment model scores"
        " per forward pass."
    )
    hf_token: SecretStr | None = Field(
        None,
        description="Token for gated hub models; every newsum command exports it as HF_TOKEN"
        " for the hub library.",
    )

    # --- API and monitoring ----------------------------------------------------------
    api_token: SecretStr | None = Field(
        None, description="Shared secret the CMS sends (bearer token and HMAC key); it queues"
        " and reads summaries, nothing else (at least 32 characters).",
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token that reads /metrics and nothing else (at least 32"
        " characters); without it /metrics is off.",
    )
    api_stall_timeout_s: float = Field(
        1.0, gt=0, description="Seconds an API request waits on the database (a pooled"
        " connection, a lock) or on Redis before it answers 503; statements get 3x this.",
    )
    api_max_in_flight: int = Field(
        64, gt=0, description="Requests the API works on at once; more wait up to"
        " api_stall_timeout_s for a turn, then answer 503.",
    )
    api_host: str = Field("127.0.0.1", description="Address the HTTP API binds.")
    api_port: int = Field(8000, description="Port of the HTTP API.")
    flower_port: int = Field(5555, description="Port of Flower.")
    flower_user: str = Field("admin", description="Flower basic-auth user.")
    flower_password: SecretStr | None = Field(
        None, description="Flower basic-auth password (at least 16 characters); whoever holds"
        " it controls the workers.",
    )
    log_level: str = Field("INFO", description="Log level of every newsum process.")
    flower_host: str = Field("127.0.0.1", description="Address Flower binds.")

    # --- review page -----------------------------------------------------------------
    review_secret_key: SecretStr | None = Field(
        None,
        description="Key that signs editors' session cookies on /review (at least 32"
        " characters); without it the API serves no review page.",
    )
    review_secure_cookie: bool = Field(
        True,
        description="Send the review session cookie over HTTPS only; false for plain-HTTP"
        " local use.",
    )
    review_session_hours: float = Field(
        12.0, gt=0, description="An editor's login lasts at most this many hours, however active."
    )
    review_idle_minutes: float = Field(
        30.0, gt=0, description="A login unused for this many minutes ends."
    )
    review_login_limits_account: str = Field(
        "5/minute;20/hour;50/day",
        description="Failed sign-ins one account may have before it waits (limits syntax);"
        " shared by every API process through Redis.",
    )
    review_login_limits_address: str = Field(
        "20/minute;100/hour",
        description="Failed sign-ins one client address may have before it waits.",
    )
    review_login_workers: int = Field(
        2, gt=0, description="Password checks (argon2, 64 MiB each) run at once, in their own"
        " threads; more sign-ins wait for a turn.",
    )
    review_login_queue: int = Field(
        16, ge=0, description="Sign-ins that may wait for a password check; more answer 503.",
    )
    review_login_delay_s: float = Field(
        0.75,
        ge=0,
        description="Minimum seconds every login attempt takes (slows password guessing; a"
        " failure takes as long for an unknown name as for a wrong password).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("NEWSUM_CONFIG_FILE", DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(StrictTomlSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @field_validator("review_login_limits_account", "review_login_limits_address")
    @classmethod
    def _limits_parse(cls, value: str) -> str:
        """A limit newsum cannot read would fail the first sign-in instead of the start."""
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a list of limits: write e.g. 5/minute;20/hour;50/day"
            ) from None
        return value

    @model_validator(mode="after")
    def _secrets_are_secret(self) -> Settings:
        """Refuse short or shared secrets at start-up (see :func:`secret_problem`)."""
        problem = secret_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _limits_in_order(self) -> Settings:
        """The relations the README states, checked once at start-up.

        A batch must end (hard limit) before Redis hands its messages to another worker
        (visibility timeout), the soft limit must come before the hard one so the batch
        can record itself, and the backfill's high-water mark must hold a whole batch.
        """
        longest = self.task_time_limit_s or self.task_soft_time_limit_s
        if longest and longest >= self.visibility_timeout_s:
            raise ValueError(
                f"visibility_timeout_s ({self.visibility_timeout_s}) must exceed the longest"
                f" batch ({longest} s, the time limit): raise NEWSUM_VISIBILITY_TIMEOUT_S"
                " or lower NEWSUM_TASK_TIME_LIMIT_S"
            )
        soft, hard = self.task_soft_time_limit_s, self.task_time_limit_s
        if soft and hard and soft >= hard:
            raise ValueError(
                f"task_soft_time_limit_s ({soft}) must be below task_time_limit_s ({hard})"
            )
        if self.queue_high_water < self.batch_size:
            raise ValueError(
                f"queue_high_water ({self.queue_high_water}) must hold at least one batch"
                f" (batch_size {self.batch_size})"
            )
        return self

    def masked(self) -> dict[str, Any]:
        """The settings as plain data with every secret, and URL passwords, masked."""
        data = self.model_dump(mode="json")
        for key in ("database_url", "broker_url", "result_backend"):
            if data.get(key):
                data[key] = mask_url(data[key])
        for key, value in self:
            if isinstance(value, SecretStr):
                data[key] = "**********" if value.get_secret_value() else ""
        return data

    def as_env(self) -> dict[str, str]:
        """The environment of a newsum subprocess holding these settings (secrets included).

        The current environment is kept except its ``NEWSUM_*`` variables; every setting
        is exported as ``NEWSUM_<NAME>`` (nested ones as ``NEWSUM_<GROUP>__<NAME>``).
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
        for key, value in self:
            if isinstance(value, BaseSettings):
                for sub_key, sub_value in value:
                    if sub_value is not None:
                        env[f"NEWSUM_{key}__{sub_key}".upper()] = str(sub_value)
            elif isinstance(value, SecretStr):
                env[f"NEWSUM_{key}".upper()] = value.get_secret_value()
            elif value is not None:
                env[f"NEWSUM_{key}".upper()] = str(value)
        # A settings file would be read again by the child and could override these.
        env["NEWSUM_CONFIG_FILE"] = os.devnull
        return env


def secret_problem(settings: Settings) -> str | None:
    """What is wrong with the configured secrets, in one line; None when all is well.

    A short secret can be guessed (a session key offline, from one cookie), and two jobs
    sharing one secret are one job: the CMS's token must not open Flower or sign cookies.
    """
    seen: dict[str, str] = {}
    for field, (variable, minimum) in SECRET_SETTINGS.items():
        value = getattr(settings, field)
        if value is None:
            continue
        secret = value.get_secret_value()
        if len(secret) < minimum:
            return (f"{variable} must hold at least {minimum} characters; generate one with"
                    f" {GENERATE_SECRET}")
        if secret in seen:
            return (f"{variable} equals {seen[secret]}: give each its own value, e.g. from"
                    f" {GENERATE_SECRET}")
        seen[secret] = variable
    return None


def settings_table() -> str:
    """Every setting as a Markdown table row: variable, default, description."""
    rows = ["| variable | default | what it sets |", "|---|---|---|"]

    def add(prefix: str, model: type[BaseSettings]) -> None:
        for name, info in model.model_fields.items():
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
                add(f"{prefix}{name.upper()}__", annotation)
                continue
            default = "" if info.default in (None, "") else f"`{info.default}`"
            rows.append(f"| `{prefix}{name.upper()}` | {default} | {info.description} |")

    add("NEWSUM_", Settings)
    return "\n".join(rows)


REDIS_SCHEMES = ("redis://", "rediss://", "redis+socket://")
EMBEDDED_BROKER_SCHEME = "sqla+"


def is_redis_url(url: str) -> bool:
    """Whether ``url`` names a Redis broker (production) rather than kombu's SQL one."""
    return url.startswith(REDIS_SCHEMES)


def is_embedded_broker(url: str) -> bool:
    """Whether ``url`` names kombu's SQL transport (``sqla+...``, the demo's broker)."""
    return url.startswith(EMBEDDED_BROKER_SCHEME)


def mask_url(url: str) -> str:
    """Return ``url`` with its password replaced by stars (unparseable URLs are kept)."""
    try:
        parsed = make_url(url)
    except Exception:
        return url
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once; raises SettingsInvalid saying what to fix."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsInvalid(f"invalid settings: {validation_problems(exc)}") from None
