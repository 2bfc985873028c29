"""A visitor without a browser: one Streamlit session driven over its WebSocket protocol.

The load script uses it to put many visitors on one server without many browsers on the same
cores: the server does the same work for it as for a browser (each rerun runs the script and
sends the page), while drawing the page, which a real visitor's own machine does, costs nothing
here. It speaks what the browser speaks: ``BackMsg.rerun_script`` with the widgets' states and
the URL's query string, and, for a widget drawn inside a fragment (``st.fragment``), that
fragment's id, so that only the fragment reruns, as in the browser; it reads the ``ForwardMsg``
deltas of each run until ``script_finished``.
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass, field


@dataclass
class Run:
    """What one script run sent: its elements (type, proto), the seconds it took, and its end."""

    elements: list[tuple[str, object]] = field(default_factory=list)
    seconds: float = 0.0
    status: str = ""

    def texts(self) -> list[str]:
        """Every Markdown, caption, alert and heading body of the run, in order."""
        found = []
        for kind, proto in self.elements:
            body = getattr(proto, "body", None)
            if isinstance(body, str) and body:
                found.append(body)
        return found

    def widget(self, kind: str, label: str):
        """The last widget of this type with this label (e.g. ``text_area``, "Your review")."""
        matches = [proto for k, proto in self.elements if k == kind and getattr(proto, "label", None) == label]
        if not matches:
            raise LookupError(f"no {kind} labelled {label!r} in this run")
        return matches[-1]

    def tables(self) -> list:
        """The data of every ``st.table`` and ``st.dataframe`` as pandas frames."""
        import pyarrow as pa

        frames = []
        for kind, proto in self.elements:
            data = proto.arrow_data.data if kind == "table" else getattr(proto, "data", None) if kind == "dataframe" else None
            if data:
                frames.append(pa.ipc.open_stream(io.BytesIO(data)).read_all().to_pandas())
        return frames


class Visitor:
    """One session on the server at ``url`` (http://host:port)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.stream = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.timeout = timeout
        self.query_string = ""
        self.widget_states: dict[str, object] = {}
        self.page_script_hash = ""
        #: The fragment each widget was drawn in (the browser reruns only that fragment).
        self.fragment_of: dict[str, str] = {}
        self._socket = None

    async def __aenter__(self) -> Visitor:
        from websockets.asyncio.client import connect

        # No keepalive pings: a session left open while others work (its messages unread) would be
        # closed by the client's own ping timeout; every read here has a time limit instead.
        self._socket = await connect(self.stream, subprotocols=["streamlit"], max_size=None, open_timeout=self.timeout,
                                     ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._socket.close()

    async def rerun(self, *, query_string: str | None = None, states: list | None = None) -> Run:
        """Ask for a rerun (with these widget states on top of the ones set before) and read it to its end.

        When every changed widget was drawn in one fragment, only that fragment reruns."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if query_string is not None:
            self.query_string = query_string
        for state in states or []:
            self.widget_states[state.id] = state
        message = BackMsg()
        message.rerun_script.query_string = self.query_string
        message.rerun_script.page_script_hash = self.page_script_hash
        fragments = {self.fragment_of.get(state.id, "") for state in states or []}
        if len(fragments) == 1 and "" not in fragments:
            message.rerun_script.fragment_id = fragments.pop()
        message.rerun_script.widget_states.widgets.extend(
            state for state in self.widget_states.values() if not state.HasField("trigger_value"))
        message.rerun_script.widget_states.widgets.extend(
            state for state in states or [] if state.HasField("trigger_value"))
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        run = await asyncio.wait_for(self._read_run(), self.timeout)
        run.seconds = time.perf_counter() - started
        return run

    async def _read_run(self) -> Run:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        run = Run()
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self._socket.recv())
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = message.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_kind = element.WhichOneof("type")
                if element_kind:
                    proto = getattr(element, element_kind)
                    run.elements.append((element_kind, proto))
                    if getattr(proto, "id", "") and message.delta.fragment_id:
                        self.fragment_of[proto.id] = message.delta.fragment_id
            elif kind == "delta" and message.delta.WhichOneof("type") == "add_block":
                block = message.delta.add_block
                block_kind = block.WhichOneof("type")
                if block_kind:
                    run.elements.append((block_kind, getattr(block, block_kind)))
            elif kind == "script_finished":
                run.status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                return run


def text_state(widget_id: str, value: str):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, string_value=value)


def trigger(widget_id: str):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, trigger_value=True)
