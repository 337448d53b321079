"""Request and response models of the area-alert API (/alerts/...), for validation
and the OpenAPI document (kept apart from commands.py/responses.py so the
feature stays in its own files)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.alerts import MAX_RADIUS_M, MIN_RADIUS_M

SubscriptionId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9a-f]{24}$")]


class AlertSubscribeCommand(BaseModel):
    """POST /alerts/subscriptions: a kelurahan, or a point with a radius."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Literal["email", "sms", "whatsapp"]
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)] = Field(
        description="E-mail address, or phone number (E.164 or 08...) for SMS/WhatsApp. Never shown back."
    )
    kelurahan: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[a-z0-9.-]+$")]
        | None
    ) = Field(default=None, description="Kelurahan code, e.g. 31.71.01.1001 (GET /report lists areas).")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    radius_m: int | None = Field(default=None, ge=MIN_RADIUS_M, le=MAX_RADIUS_M)
    language: Literal["id", "en"] = "id"

    @model_validator(mode="after")
    def one_area(self):
        circle = (self.lat, self.lng, self.radius_m)
        if self.kelurahan and any(v is not None for v in circle):
            raise ValueError("give a kelurahan or lat/lng/radius_m, not both")
        if not self.kelurahan and any(v is None for v in circle):
            raise ValueError("give a kelurahan, or lat, lng and radius_m")
        return self


class AlertConfirmCommand(BaseModel):
    """POST /alerts/confirm: the code we sent (or the token of the mailed link)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subscription_id: SubscriptionId
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")] | None = None
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def code_or_token(self):
        if (self.code is None) == (self.token is None):
            raise ValueError("give either code or token")
        return self


class AlertUnsubscribeCommand(BaseModel):
    """POST /alerts/unsubscribe (JSON or the form of the unsubscribe page)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    s: SubscriptionId = Field(description="The subscription id from the link.")
    t: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="The token from the link."
    )


class AlertArea(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kelurahan: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_m: int | None = None


class AlertSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscription_id: str
    status: Literal["pending", "confirmed", "unsubscribed"]
    channel: Literal["email", "sms", "whatsapp"] | None = None
    area: AlertArea | None = None
    confirm_by: str | None = Field(default=None, description="Pending: confirm before this (Jakarta time).")
    unsubscribe_url: str | None = Field(default=None, description="Confirmed: the one-click unsubscribe link.")
