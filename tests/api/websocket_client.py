"""A small RFC 6455 websocket client over a plain TCP socket, for tests that read a live server's websocket from
outside its process (the ADE's agent websocket on another web process).

Hand-written because the libraries at hand will not do: autobahn's asyncio client refuses to load in a process
where channels already chose Twisted, and channels' WebsocketCommunicator calls the application in this process
instead of a server. It reads text frames as JSON on a thread of its own, answers pings (daphne closes a socket that
does not), and closes cleanly.
"""

import base64
import json
import os
import queue
import socket
import struct
import threading

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class WebSocket:
    def __init__(self, port: int, path: str, headers: dict[str, str]):
        self.events: queue.Queue = queue.Queue()
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = self._read_until(b"\r\n\r\n")
        if not answer.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"the websocket was refused: {answer.decode(errors='replace')}")
        self._sock.settimeout(None)
        self._writing = threading.Lock()
        self._thread = threading.Thread(target=self._read_frames, daemon=True)
        self._thread.start()

    def _read_until(self, end: bytes) -> bytes:
        data = b""
        while end not in data:
            chunk = self._sock.recv(1)
            if not chunk:
                raise ConnectionError("the server closed the connection during the handshake")
            data += chunk
        return data

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _read_frames(self) -> None:
        message = b""
        try:
            while True:
                first, second = self._exactly(2)
                length = second & 0x7F
                if length == 126:
                    length = struct.unpack("!H", self._exactly(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", self._exactly(8))[0]
                payload = self._exactly(length)  # a server's frames are never masked
                opcode = first & 0x0F
                if opcode == PING:
                    self._send(PONG, payload)
                elif opcode == CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    self.events.put({"message_type": "closed", "code": code})
                    return
                elif opcode in (TEXT, 0x0):  # a text frame, or the continuation of one
                    message += payload
                    if first & 0x80:  # FIN: the message is whole
                        self.events.put(json.loads(message))
                        message = b""
        except (ConnectionError, OSError):
            self.events.put({"message_type": "closed", "code": None})

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)  # a client's frames are always masked
        head = bytes([0x80 | opcode])
        if len(payload) < 126:
            head += bytes([0x80 | len(payload)])
        else:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        with self._writing:
            self._sock.sendall(head + mask + masked)

    def close(self) -> None:
        try:
            self._send(CLOSE, struct.pack("!H", 1000))
            self._thread.join(5)
        except OSError:
            pass
        self._sock.close()
