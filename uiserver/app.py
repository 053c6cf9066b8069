"""The ``cylc`` Jupyter Server extension: configuration and wiring only."""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path
from urllib.parse import quote

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, Unicode, default, observe, validate

from . import __version__
from .auth import Authorizer
from .commands import CommandRunner
from .demo import DemoRunner
from .graphql.execute import GraphQLExecutor
from .graphql.schema import schema
from .heap import HeapTrimmer, fix_mmap_threshold
from .store import Store
from .sync import SyncManager
from .workflows import WorkflowRegistry

__all__ = ["CylcUIServer", "launch_new_instance"]


class CylcUIServer(ExtensionApp):
    """Serves Cylc 8 workflows to browsers under ``/cylc/``."""

    name = "cylc"
    app_name = "Cylc UI Server"
    description = "Cylc UI Server: live Cylc 8 workflows in the browser"
    version = __version__
    extension_url = "/cylc/"
    load_other_extensions = True
    flags = {
        "demo": (
            {"CylcUIServer": {"demo": True}},
            "Run the demo workflow (simulation mode) while the server runs, and open it.",
        ),
    }

    run_dir = Unicode(
        help="Directory scanned for workflows (Cylc's run directory). Default: ~/cylc-run.",
    ).tag(config=True)
    scan_interval = Float(
        5.0,
        help="Seconds between scans of the run directory for workflows starting, "
        "stopping or appearing. 0 scans only when asked (the scan mutation).",
    ).tag(config=True)
    max_depth = Int(
        4,
        help="How deep workflow ids may nest under the run directory "
        "(Cylc's [install]max depth, default 4).",
    ).tag(config=True)
    request_timeout = Float(
        5.0,
        help="Seconds to wait for a scheduler to answer one request before "
        "giving up on it (and resetting the socket).",
    ).tag(config=True)
    connect_concurrency = Int(
        32,
        min=1,
        help="Scheduler connections that may be opening and taking their first "
        "snapshot at the same time; the rest wait, and none holds its turn over 2 s. "
        "Bounds the sockets, handshakes and memory of opening hundreds of workflows at once.",
    ).tag(config=True)
    summary_window = Float(
        0.05,
        min=0.0,
        help="Seconds a workflow's sidebar-level (summary) update may wait so that "
        "the updates of many workflows are read and sent together: one wake-up "
        "per window instead of one per update, which with hundreds of workflows "
        "costs a fraction of the CPU. 0 reads each update at once. Open "
        "workspaces are never delayed.",
    ).tag(config=True)
    linger = Float(
        5.0,
        help="Seconds to keep a scheduler connection after the last client stops "
        "watching, so a page reload does not reconnect. 0 disconnects at once.",
    ).tag(config=True)
    health_check_interval = Float(
        30.0,
        help="Seconds of silence from a connected scheduler after which one cheap "
        "request checks that its data still matches ours.",
    ).tag(config=True)
    snapshot_timeout = Float(
        60.0,
        help="Seconds to keep retrying the first snapshot of a scheduler that is "
        "still starting up (its data store is empty for a moment).",
    ).tag(config=True)
    play_timeout = Float(
        120.0,
        help="Seconds a `cylc play` started by the play mutation may take before "
        "it is killed and reported as failed.",
    ).tag(config=True)
    clean_timeout = Float(
        600.0,
        help="Seconds a `cylc clean` started by the clean mutation may take.",
    ).tag(config=True)
    cylc_executable = Unicode(
        "cylc",
        help="The `cylc` command used for play and clean (a name on PATH or a path).",
    ).tag(config=True)
    max_pending_frames = Int(
        32,
        help="Frames a websocket subscription may have waiting for a slow client "
        "before they are merged into one frame per workflow (the client still "
        "converges, and server memory stays bounded).",
    ).tag(config=True)
    trim_heap_after = Int(
        8 << 20,
        help="Bytes of frames and query results after which freed C heap pages are "
        "given back to the OS (glibc malloc_trim), so a large burst does not leave "
        "the server's RSS at its high-water mark. 0 turns trimming off.",
    ).tag(config=True)
    mmap_threshold = Int(
        128 << 10,
        help="Bytes from which the C heap serves each allocation from its own "
        "mapping, returned to the OS when freed (glibc mallopt M_MMAP_THRESHOLD). "
        "Fixing it stops glibc raising the threshold after each large free, which "
        "lets later large blocks fragment the heap. 0 keeps glibc's default.",
    ).tag(config=True)
    site_authorization = Dict(
        help="Site limits and defaults of what other users may do with this "
        "owner's workflows: {owner|group:G|*: {user|group:G|*: "
        "{'default': [...], 'limit': [...]}}}. Empty: nobody but the owner.",
    ).tag(config=True)
    user_authorization = Dict(
        help="What the owner grants other users: {user|group:G|*: [permissions]}, "
        "with READ, CONTROL, ALL, single operations and !negations.",
    ).tag(config=True)
    ui_build_dir = Unicode(
        "",
        help="Serve this UI build at /cylc/ instead of the bundled one, e.g. the "
        "reference cylc-ui build (a directory holding index.html).",
    ).tag(config=True)
    workflow_to_open = Unicode(
        "",
        help="Workflow id whose workspace the browser opens at start "
        "(given as the positional argument of `jupyter cylc`).",
    ).tag(config=True)

    demo = Bool(
        False,
        help="Run the packaged demo workflow under a real scheduler in simulation mode "
        "while the server runs (needs cylc-flow: the `demo` extra) and open its "
        "workspace. A demo still running is reused; a stopped one is replaced.",
    ).tag(config=True)
    demo_workflow = Unicode(
        "demo",
        help="Workflow id (directory under run_dir) of the demo workflow.",
    ).tag(config=True)

    @default("run_dir")
    def _default_run_dir(self) -> str:
        return str(Path("~/cylc-run").expanduser())

    @validate("run_dir")
    def _expand_run_dir(self, proposal: dict) -> str:
        return str(Path(proposal["value"]).expanduser())

    @validate("scan_interval", "request_timeout", "linger", "health_check_interval")
    def _non_negative(self, proposal: dict) -> float:
        if proposal["value"] < 0:
            raise ValueError(f"{proposal['trait'].name} must be >= 0")
        return proposal["value"]

    @default("default_url")
    def _default_url(self) -> str:
        workflow = self.workflow_to_open or (self.demo_workflow if self.demo else "")
        if workflow:
            return f"/cylc/#/workspace/{quote(workflow)}"
        return "/cylc/"

    # -- Jupyter hooks -------------------------------------------------------

    def initialize_settings(self) -> None:
        """Build the server's parts; nothing runs until the loop starts."""
        self._route_package_logs()
        self.owner = getpass.getuser()
        self.registry = WorkflowRegistry(
            Path(self.run_dir),
            self.owner,
            max_depth=self.max_depth,
            scan_interval=self.scan_interval,
            log=self.log,
        )
        self.store = Store()
        self.sync = SyncManager(
            self.registry,
            self.store,
            request_timeout=self.request_timeout,
            linger=self.linger,
            health_interval=self.health_check_interval,
            snapshot_timeout=self.snapshot_timeout,
            connect_concurrency=self.connect_concurrency,
            summary_window=self.summary_window,
        )
        self.commands = CommandRunner(
            self.registry,
            self.sync,
            owner=self.owner,
            request_timeout=self.request_timeout,
            play_timeout=self.play_timeout,
            clean_timeout=self.clean_timeout,
            cylc_executable=self.cylc_executable,
        )
        self.demo_runner = (
            DemoRunner(
                Path(self.run_dir),
                self.demo_workflow,
                cylc_executable=self.cylc_executable,
                play_timeout=self.play_timeout,
                on_change=self.registry.request_scan,
                log=self.log,
            )
            if self.demo
            else None
        )
        self.authorizer = Authorizer(
            self.owner, self.site_authorization, self.user_authorization, log=self.log
        )
        if self.mmap_threshold > 0 and fix_mmap_threshold(self.mmap_threshold):
            self.log.debug("mmap threshold fixed at %d bytes", self.mmap_threshold)
        self.heap = HeapTrimmer(self.trim_heap_after) if self.trim_heap_after > 0 else None
        self.executor = GraphQLExecutor(
            schema.graphql_schema,
            store=self.store,
            sync=self.sync,
            owner=self.owner,
            registry=self.registry,
            commands=self.commands,
            authorizer=self.authorizer,
            max_pending=self.max_pending_frames,
            heap=self.heap,
        )
        self.settings.update(
            cylc_registry=self.registry,
            cylc_store=self.store,
            cylc_sync=self.sync,
            cylc_owner=self.owner,
            cylc_commands=self.commands,
            cylc_authorizer=self.authorizer,
            cylc_executor=self.executor,
        )

    def _route_package_logs(self) -> None:
        """Send the modules' loggers (``uiserver.*``) to this app's log handlers.

        Jupyter configures only the apps' own loggers, so without this the
        links' resyncs, snapshots and shutdowns (INFO) were never shown and
        warnings came out unformatted. Handlers are shared rather than the
        logger re-parented, so records still reach the root logger too; they
        are taken off again when the extension stops.
        """
        package_log = logging.getLogger("uiserver")
        package_log.setLevel(self.log.level)
        self._shared_log_handlers = [h for h in self.log.handlers if h not in package_log.handlers]
        for handler in self._shared_log_handlers:
            package_log.addHandler(handler)

    @observe("site_authorization", "user_authorization")
    def _authorization_changed(self, change: dict) -> None:
        # Config reloads take effect without a restart (unlike the reference).
        authorizer = getattr(self, "authorizer", None)
        if authorizer is not None:
            authorizer.reconfigure(self.site_authorization, self.user_authorization)

    def initialize_handlers(self) -> None:
        """Route GraphQL (HTTP and websocket), the user profile, the version and the UI."""
        from .transport.handlers import api_handlers
        from .transport.static import static_handlers

        self.handlers.extend(api_handlers())
        # "/": ExtensionApp puts Jupyter's base_url in front of every route.
        build_dir = Path(self.ui_build_dir) if self.ui_build_dir else None
        self.handlers.extend(static_handlers("/", build_dir))

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        """Start scanning once the event loop runs."""
        await self.sync.start()
        await self.registry.start()
        if self.demo_runner is not None:
            self.demo_runner.start()
        self.log.info(
            "Cylc UI Server %s watching %s (%d workflows)",
            __version__,
            self.run_dir,
            len(self.registry.entries),
        )
        workspace_url = _query_before_fragment(serverapp.local_url)
        if workspace_url != serverapp.local_url:
            # Jupyter's own line puts ?token= inside the #fragment of a
            # workspace URL, where browsers never send it to the server.
            self.log.info("Open the workspace at: %s", workspace_url)

    async def stop_extension(self) -> None:
        """End subscriptions and commands, stop scanning, close every connection."""
        self.executor.close()
        if self.heap is not None:
            self.heap.close()
        if self.demo_runner is not None:
            await self.demo_runner.stop()
        await self.commands.close()
        await self.registry.stop()
        await self.sync.stop()
        for handler in self._shared_log_handlers:
            logging.getLogger("uiserver").removeHandler(handler)

    # -- command line --------------------------------------------------------

    @classmethod
    def make_serverapp(cls, **kwargs):
        """The server app, taught this extension's flags (``--demo``).

        Jupyter passes an extension's ``aliases`` to the server it launches,
        but not its ``flags``.
        """
        serverapp = super().make_serverapp(**kwargs)
        serverapp.flags.update(cls.flags)
        return serverapp

    @classmethod
    def launch_instance(cls, argv: list[str] | None = None, **kwargs) -> None:
        """``jupyter cylc [options] [WORKFLOW_ID]``: start the server.

        Jupyter Server treats a positional argument as a file to open, so the
        workflow id is taken out of the arguments here first.
        """
        args = list(sys.argv[1:] if argv is None else argv)
        workflow, args = _split_workflow_arg(args, cls)
        if workflow:
            args.append(f"--CylcUIServer.workflow_to_open={workflow}")
        super().launch_instance(argv=args, **kwargs)


def _query_before_fragment(url: str) -> str:
    """``/cylc/#/workspace/x?token=t`` -> ``/cylc/?token=t#/workspace/x``."""
    base, hash_, fragment = url.partition("#")
    route, question, query = fragment.partition("?")
    if not (hash_ and question) or "?" in base:
        return url
    return f"{base}?{query}#{route}"


def _split_workflow_arg(args: list[str], cls: type) -> tuple[str, list[str]]:
    """Return ``(workflow_id, remaining_args)``; the id is the first positional."""
    from jupyter_server.serverapp import flags as server_flags

    names = [*server_flags, *getattr(cls, "flags", {})]
    flags = {f"--{name}" if len(name) > 1 else f"-{name}" for name in names}
    rest: list[str] = []
    workflow = ""
    previous = ""
    for arg in args:
        takes_value = previous.startswith("-") and "=" not in previous and previous not in flags
        if not workflow and not arg.startswith("-") and not takes_value:
            workflow = arg
        else:
            rest.append(arg)
        previous = arg
    return workflow, rest


launch_new_instance = CylcUIServer.launch_instance
