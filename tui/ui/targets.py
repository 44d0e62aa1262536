"""The AWS target of the app: the account it is signed in to, and switching profile or region.

Switching builds a new ``AwsContext`` (in a thread: it reads files and may ask a credential
process) and then new panes, so no pane keeps a fleet id or a cursor from the other account.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from tui.ui.widgets.context_bar import ContextBar

if TYPE_CHECKING:
    from tui.aws.session import AwsContext, Target
    from tui.ui.contract import GameApp


class Targets:
    def __init__(self, app: GameApp) -> None:
        self.app = app

    # --- the account ---------------------------------------------------------------------

    def load_identity(self) -> None:
        """STS GetCallerIdentity, in a thread; the context bar shows the account."""
        app = self.app
        aws = app.aws

        def ask() -> None:
            try:
                identity = aws.caller_identity()
            except Exception as err:  # shown in the bar and explained; the panes say the rest
                app.call_from_thread(self._identity_failed, aws, err)
                return
            app.call_from_thread(self._identity_loaded, aws, identity.get("Account", ""))

        app.run_worker(ask, thread=True, exclusive=True, group="identity", exit_on_error=False,
                       description="STS GetCallerIdentity")

    def _identity_loaded(self, aws: AwsContext, account: str) -> None:
        app = self.app
        if aws is not app.aws or not app.staying():
            return
        app.account_id, app.identity_error = account, ""
        app.query_one(ContextBar).set_account(account, app.banner())

    def _identity_failed(self, aws: AwsContext, err: BaseException) -> None:
        from botocore import exceptions as bx

        from tui.aws.errors import explain

        app = self.app
        if aws is not app.aws or not app.staying():
            return
        app.account_id = ""
        app.identity_error = explain(err, profile=aws.profile_name)
        app.query_one(ContextBar).set_account("?", app.banner())
        if isinstance(err, bx.UnauthorizedSSOTokenError | bx.SSOTokenLoadError
                      | bx.TokenRetrievalError):
            self.show_sso_login()
        else:
            app.notify(f"{app.identity_error} ({app.key_for('reconnect')} retries)",
                       title="AWS credentials", severity="error", timeout=15)

    def show_sso_login(self) -> None:
        from tui.ui.screens.profile_sso import SsoLoginScreen

        app = self.app
        if isinstance(app.screen, SsoLoginScreen):
            return

        def answered(retry: bool | None) -> None:
            if retry:
                self.switch()

        app.push_screen(SsoLoginScreen(app.aws.profile_name, app.identity_error,
                                       app.key_for("reconnect")), answered)

    # --- profile and region --------------------------------------------------------------

    def pick_profile(self) -> None:
        from tui.aws.session import DEMO_PROFILES, available_profiles
        from tui.ui.screens.profile_picker import ProfilePicker

        app = self.app
        demo = app.aws.target.demo
        profiles = list(DEMO_PROFILES) if demo else available_profiles()

        def picked(name: str | None) -> None:
            if name:
                self.switch(profile=name)

        app.push_screen(ProfilePicker(profiles, app.aws.profile_name, demo=demo), picked)

    def pick_region(self) -> None:
        from tui.aws.session import gamelift_regions
        from tui.ui.screens.region_picker import RegionPicker

        app = self.app
        regions = gamelift_regions()
        if app.aws.region not in regions:
            regions = sorted([*regions, app.aws.region])

        def picked(name: str | None) -> None:
            if name:
                self.switch(region=name)

        app.push_screen(RegionPicker(regions, app.aws.region), picked)

    def switch(self, *, profile: str | None = None, region: str | None = None) -> None:
        """Point the app at another profile and/or region (neither: the same one, built again,
        e.g. after `aws sso login`): a new AwsContext, new panes."""
        app = self.app
        aws = app.aws
        target = dataclasses.replace(aws.target, read_only=aws.read_only,
                                     profile=aws.target.profile if profile is None else profile,
                                     region=aws.target.region if region is None else region)
        changes = {"profile": profile, "region": region}
        what = ", ".join(f"{k} {v}" for k, v in changes.items() if v is not None)
        what = what or "the same profile"
        app.notify(f"connecting to {what}…", timeout=3)
        waiting, running = app.drains_followed()
        if waiting or running:
            app.notify(f"{waiting or 'the'} draining session(s) of profile "
                       f"{aws.profile_name}, region {aws.region} stop being "
                       "followed; they stay locked and resume when gameops-tui is back there.",
                       title="drains", severity="warning", timeout=15)
        app.switching = True
        app.run_worker(lambda: self._build_context(target), thread=True, exclusive=True,
                       group="switch", exit_on_error=False,
                       description="build the AWS session for the new profile/region")

    def _build_context(self, target: Target) -> None:  # a thread worker
        from tui.aws.session import AwsContext, ConfigurationProblem

        app = self.app
        try:
            aws = AwsContext(target)
        except ConfigurationProblem as problem:
            app.call_from_thread(self._switch_failed, str(problem))
            return
        except Exception as err:
            from tui.aws.errors import explain

            app.call_from_thread(self._switch_failed, explain(err, profile=target.profile))
            return
        app.call_from_thread(self._switch_to, aws)

    def _switch_to(self, aws: AwsContext) -> None:
        # On the UI thread: the rebuild awaits the panes' removal and mounting.
        self.app.run_worker(self._switched(aws), name="switch", group="switch")

    def _switch_failed(self, reason: str) -> None:
        app = self.app
        app.switching = False
        app.notify(f"{reason}\nStill on profile {app.aws.profile_name}, region "
                   f"{app.aws.region}.", title="cannot switch", severity="error", timeout=20)

    async def _switched(self, aws: AwsContext) -> None:
        app = self.app
        app.aws = aws
        aws.pace = app.pacer
        if aws.target.api_budget is not None:  # None: a target without a budget
            aws.budget.share = app.settings.api_budget
        app.account_id, app.identity_error = "", ""
        app.query_one(ContextBar).set_context(
            profile=aws.profile_name, region=aws.region,
            endpoint=aws.target.endpoint_url or "", demo=aws.target.demo,
            read_only=aws.read_only, account="", banner=app.banner())
        await app.rebuild_panes()
        app.switching = False
        app.call_after_refresh(app.resume_drains)
        self.load_identity()
        app.notify(f"profile {aws.profile_name}, region {aws.region}", title="switched",
                   timeout=4)
