"""Every table, imported in one place so that Alembic and the app see the whole schema."""

from api.accounts.models import Account, AccountDomain
from api.checks.models import Check, CheckAnswer, CheckCopy, Serving
from api.decisions.models import Decision, DecisionHead, Withdrawal
from api.events.models import Event, WebhookEndpoint
from api.interactions.models import Interaction
from api.jobs.models import Job
from api.model_versions.models import ModelVersion
from api.outcomes.models import Outcome
from api.ratelimit import RateLimitWindow
from api.shadows.models import ShadowPrediction
from api.signals.models import Signal
from api.sources.models import Source
from api.suggestions.models import Suggestion
from api.todos.models import Todo
from api.users.models import User
from api.web.models import WebSession

__all__ = ["Account", "AccountDomain", "Check", "CheckAnswer", "CheckCopy", "Decision", "DecisionHead", "Event",
           "Interaction", "Job", "ModelVersion", "Outcome", "RateLimitWindow", "Serving", "ShadowPrediction", "Signal",
           "Source", "Suggestion", "Todo", "User", "WebSession", "WebhookEndpoint", "Withdrawal"]
