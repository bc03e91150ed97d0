"""The YAML sections of alerting: ``notifiers``, ``alerts``, ``maintenance``, ``alerting``
(and ``outbound``, in :mod:`pulse_core.contract.outbound`).

A ``notifiers[]`` entry is ``name`` plus exactly one notifier-type key whose block is
validated by that notifier plugin's ``options_model``; the set of types is known only once
plugins are loaded, so :func:`notifiers_section` builds the section's model around a lookup
called at validation time. A type whose plugin is not installed is an error naming the
distribution to install. The installed webhook dialects are looked up the same way and
given to the entries' validation in its context (see :mod:`pulse_core.contract.webhooks`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pulse_core.alerting.cron import CronError, CronSchedule
from pulse_core.config.limits import Name, RequiredName
from pulse_core.contract.durations import Duration
from pulse_core.contract.webhooks import DIALECTS_CONTEXT, WebhookDialect
from pulse_core.notifier import Notifier

NotifierTypes = Callable[[], Mapping[str, type[Notifier]]]
WebhookDialects = Callable[[], Mapping[str, WebhookDialect]]

#: First-party notifier types and the distributions that provide them.
KNOWN_DISTRIBUTIONS = {
    "webhook": "pulse-notify-webhook",
    "email": "pulse-notify-email",
    "slack": "pulse-notify-slack",
    "teams": "pulse-notify-teams",
    "splunk": "pulse-notify-splunk",
}
ENTRY_KEYS = frozenset({"name", "fallback", "max_age", "concurrency"})
#: Most deliveries one notifier makes at once.
MAX_CONCURRENCY = 64
Status = Literal["offline", "online"]


def _cron(value: Any) -> CronSchedule:
    if isinstance(value, CronSchedule):
        return value
    try:
        return CronSchedule.parse(str(value))
    except CronError as error:
        raise PydanticCustomError("cron", str(error)) from None


Cron = Annotated[CronSchedule, BeforeValidator(_cron)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class AlertRule(_Section):
    """One ``alerts[]`` entry: which changes go to which notifiers. Empty filters match all."""

    notify: list[str] = Field(min_length=1)
    groups: list[str] = []
    endpoints: list[str] = Field([], description="endpoint ids or names")
    types: list[str] = []
    statuses: list[Status] = ["offline", "online"]
    repeat_every: Duration | None = None


class AlertsSection(RootModel[list[AlertRule]]):
    """``alerts``: without it every notifier gets every change."""


class MaintenanceWindow(_Section):
    """No alerts for these endpoints/groups from each cron start for ``duration``."""

    groups: list[str] = []
    endpoints: list[str] = []
    schedule: Cron
    duration: Duration
    timezone: str | None = Field(
        None, description="IANA zone of the schedule; default: local"
    )


class MaintenanceSection(RootModel[list[MaintenanceWindow]]):
    """``maintenance``."""


class StormSettings(_Section):
    """More than ``threshold`` changes in one group within ``window``: the rest of the window's
    changes of that group go out as one summary per notifier."""

    threshold: int = Field(10, ge=1)
    window: Duration = 60.0


class AlertingSection(_Section):
    """``alerting``: delivery and storm settings for every notifier."""

    storm: StormSettings = StormSettings()
    max_age: Duration = 24 * 3600.0
    fallback: str | None = None
    delivery_timeout: Duration = 30.0
    retry_initial: Duration = 5.0
    retry_max: Duration = 300.0
    concurrency: int = Field(
        8,
        ge=1,
        le=MAX_CONCURRENCY,
        description="deliveries each notifier makes at once (one at a time per endpoint)",
    )


class NotifierEntry(_Section):
    """The common keys of a ``notifiers[]`` entry; the type key is added per installation."""

    name: RequiredName
    fallback: Name | None = None
    max_age: Duration | None = None
    concurrency: int | None = Field(None, ge=1, le=MAX_CONCURRENCY)

    type_keys: ClassVar[tuple[str, ...]] = ()

    @property
    def type_name(self) -> str:
        return next(key for key in self.type_keys if getattr(self, key) is not None)

    @property
    def options(self) -> BaseModel:
        options: BaseModel = getattr(self, self.type_name)
        return options

    @model_validator(mode="before")
    @classmethod
    def _one_type(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for key in data.keys() - ENTRY_KEYS - set(cls.type_keys):
            if key in KNOWN_DISTRIBUTIONS:
                raise PydanticCustomError(
                    "notifier_type",
                    "notifier type '{key}' is not installed: install {dist}",
                    {"key": key, "dist": KNOWN_DISTRIBUTIONS[key]},
                )
        given = [key for key in cls.type_keys if data.get(key) is not None]
        if len(given) != 1:
            known = ", ".join(cls.type_keys) or "none installed"
            found = f"found {', '.join(given)}" if given else "found none"
            raise PydanticCustomError(
                "notifier_type",
                "needs exactly one notifier type key ({known}); {found}",
                {"known": known, "found": found},
            )
        return data


#: The entry model of each set of notifier types seen, so that the entries of two loads of
#: one configuration are of one class, and equal (pydantic compares the classes too): a
#: configuration applied with its ``notifiers`` unchanged restarts no notifier.
_ENTRY_MODELS: dict[tuple[tuple[str, type[Notifier]], ...], type[NotifierEntry]] = {}


def notifier_entry_model(types: Mapping[str, type[Notifier]]) -> type[NotifierEntry]:
    """A ``notifiers[]`` entry model with one optional key per installed notifier type."""
    key = tuple(sorted(types.items()))
    model = _ENTRY_MODELS.get(key)
    if model is None:
        model = _ENTRY_MODELS[key] = _new_entry_model(types)
    return model


def _new_entry_model(types: Mapping[str, type[Notifier]]) -> type[NotifierEntry]:
    fields: dict[str, Any] = {
        type_name: (notifier.options_model | None, None)
        for type_name, notifier in sorted(types.items())
    }
    model: type[NotifierEntry] = create_model(
        "NotifierEntryOfInstallation", __base__=NotifierEntry, **fields
    )
    model.type_keys = tuple(sorted(types))
    return model


class NotifiersSection(RootModel[list[Any]]):
    """``notifiers``: each entry validated by the model of the installed notifier types."""

    notifier_types: ClassVar[NotifierTypes] = staticmethod(dict)
    webhook_dialects: ClassVar[WebhookDialects] = staticmethod(dict)

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> NotifiersSection:
        """Validate entries with :func:`notifier_entry_model` of the types installed now.

        Overridden (instead of a validator) so the entries' errors keep their locations."""
        entry_model = notifier_entry_model(cls.notifier_types())
        adapter: TypeAdapter[list[NotifierEntry]] = TypeAdapter(list[entry_model])  # type: ignore[valid-type]
        context = {**(options.pop("context", None) or {})}
        context[DIALECTS_CONTEXT] = cls.webhook_dialects()
        entries = adapter.validate_python(obj, context=context, **options)
        names: set[str] = set()
        for index, entry in enumerate(entries):
            if entry.name in names:
                raise _located_error(
                    cls,
                    [index, "name"],
                    entry.name,
                    f"duplicate notifier name '{entry.name}'",
                )
            names.add(entry.name)
        return cls(root=entries)

    @property
    def entries(self) -> list[NotifierEntry]:
        return list(self.root)


def _located_error(
    model: type[BaseModel], loc: list[Any], value: Any, message: str
) -> Exception:
    return ValidationError.from_exception_data(
        model.__name__,
        [
            {
                "type": PydanticCustomError("duplicate", message),
                "loc": tuple(loc),
                "input": value,
            }
        ],
    )


def notifiers_section(
    notifier_types: NotifierTypes, webhook_dialects: WebhookDialects = dict
) -> type[NotifiersSection]:
    """The ``notifiers`` section model of one installation, reading its notifier types and
    webhook dialects when a configuration is validated (after every plugin has registered)."""
    return type(
        "NotifiersSection",
        (NotifiersSection,),
        {
            "notifier_types": staticmethod(notifier_types),
            "webhook_dialects": staticmethod(webhook_dialects),
        },
    )
