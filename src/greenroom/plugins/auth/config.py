"""The `auth:` section of app-config.yaml: sign-in providers, sessions, keys and external callers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from greenroom.config.models import StrictModel, secret

RESOLVERS = ("emailMatchingUserEntityProfileEmail", "emailLocalPartMatchingUserEntityName",
             "usernameMatchingUserEntityName", "emailMatchingUserEntityAnnotation",
             "userIdMatchingUserEntityAnnotation")


class ResolverConfig(StrictModel):
    """One sign-in resolver, tried in order: the first that finds a User entity signs the person in."""

    resolver: Literal[RESOLVERS]  # type: ignore[valid-type]
    annotation: str | None = Field(None, description="For the annotation resolvers: which annotation to match.")
    allowedDomains: list[str] | None = Field(None, description="Only emails of these domains may sign in.")
    dangerouslyAllowSignInWithoutUserInCatalog: bool = False


class SignInConfig(StrictModel):
    resolvers: list[ResolverConfig] = Field(
        default_factory=lambda: [ResolverConfig(resolver="emailMatchingUserEntityProfileEmail")])


class OAuthProviderConfig(StrictModel):
    """A provider signed in through OAuth 2 or OpenID Connect."""

    clientId: str = Field(min_length=1)
    clientSecret: str = secret(min_length=1)
    scope: str | None = Field(None, description="Space-separated scopes (each provider has a default).")
    title: str | None = Field(None, description="The button text on the sign-in page.")
    signIn: SignInConfig = SignInConfig()


class OidcProviderConfig(OAuthProviderConfig):
    metadataUrl: str = Field(description="The issuer's `.well-known/openid-configuration` URL.")
    prompt: str | None = None


class GithubProviderConfig(OAuthProviderConfig):
    enterpriseInstanceUrl: str | None = Field(None, description="GitHub Enterprise's base URL (where people sign "
                                              "in); its REST API is then `<enterpriseInstanceUrl>/api/v3`.")
    apiBaseUrl: str | None = Field(None, description="The REST API's base URL when it is not the default "
                                   "(https://api.github.com, or `<enterpriseInstanceUrl>/api/v3`), e.g. "
                                   "https://api.octocorp.ghe.com for GitHub Enterprise Cloud with data residency.")


class GitlabProviderConfig(OAuthProviderConfig):
    audience: str = Field("https://gitlab.com", description="The GitLab instance's base URL.")


class MicrosoftProviderConfig(OAuthProviderConfig):
    tenantId: str = Field(min_length=1)


class OktaProviderConfig(OAuthProviderConfig):
    audience: str = Field(description="The Okta org URL, e.g. https://example.okta.com.")
    authServerId: str | None = None


class GuestProviderConfig(StrictModel):
    userEntityRef: str = "user:default/guest"


class ProvidersConfig(StrictModel):
    guest: GuestProviderConfig | None = None
    oidc: OidcProviderConfig | None = None
    github: GithubProviderConfig | None = None
    gitlab: GitlabProviderConfig | None = None
    microsoft: MicrosoftProviderConfig | None = None
    okta: OktaProviderConfig | None = None

    def configured(self) -> dict[str, Any]:
        """The configured providers by id, guest included."""
        return {name: value for name in type(self).model_fields if (value := getattr(self, name)) is not None}


class SessionConfig(StrictModel):
    secret: str | None = secret(default=None, description="Signs sign-in flow state; at least 32 characters. "
                                "Required with any provider but guest; give it with `$env` or `$file`.")
    expirationSeconds: int = Field(3600, ge=60, le=7 * 86400, description="Lifetime of user tokens and sessions.")
    slidingExpiration: bool = Field(True, description="Extend sessions while they are used: a request made when "
                                    "more than half of expirationSeconds has passed gets a renewed cookie.")
    maxLifetimeSeconds: int = Field(86400, ge=60, le=30 * 86400, description="However active, a session ends this "
                                    "long after sign-in; then the person signs in again.")

    @model_validator(mode="after")
    def _lifetimes(self) -> SessionConfig:
        if self.maxLifetimeSeconds < self.expirationSeconds:
            raise ValueError("session.maxLifetimeSeconds must be at least session.expirationSeconds")
        return self


class KeysConfig(StrictModel):
    rotationSeconds: int = Field(86400, ge=60, description="A new signing key is made this often.")


class AccessRestriction(StrictModel):
    plugin: str
    permission: list[str] | None = None


class ExternalAccessOptions(StrictModel):
    token: str | None = secret(default=None, min_length=8, pattern=r"^\S+$")
    subject: str | None = None
    url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    subjectPrefix: str | None = None


class ExternalAccessConfig(StrictModel):
    """A caller outside the portal (CI, scripts): a static token, or JWTs checked against a JWKS URL."""

    type: Literal["static", "jwks"]
    options: ExternalAccessOptions
    accessRestrictions: list[AccessRestriction] | None = None

    @model_validator(mode="after")
    def _check(self) -> ExternalAccessConfig:
        if self.type == "static" and (not self.options.token or not self.options.subject):
            raise ValueError("a static caller needs options.token and options.subject")
        if self.type == "jwks" and not self.options.url:
            raise ValueError("a jwks caller needs options.url")
        return self


class RateLimitConfig(StrictModel):
    signInPerMinute: int = Field(30, ge=1, description="Sign-in attempts per minute from one client address.")


class AuthConfig(StrictModel):
    providers: ProvidersConfig = ProvidersConfig()
    session: SessionConfig = SessionConfig()
    keys: KeysConfig = KeysConfig()
    externalAccess: list[ExternalAccessConfig] = []
    rateLimit: RateLimitConfig = RateLimitConfig()

    @model_validator(mode="after")
    def _secret(self) -> AuthConfig:
        real = [p for p in self.providers.configured() if p != "guest"]
        if real and (self.session.secret is None or len(self.session.secret) < 32):
            raise ValueError(f"session.secret of at least 32 characters is required with provider {real[0]!r}")
        return self

    @property
    def sign_in_required(self) -> bool:
        """True when a provider other than guest is configured: then every page and API needs sign-in."""
        return any(p != "guest" for p in self.providers.configured())
