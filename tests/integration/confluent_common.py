"""What the confluent-kafka driver's commands share (confluent_driver.py, confluent_txn.py):
client settings from the command line, JSON lines on stdout, the end of standard input."""
import json
import os
import sys
import threading


def settings(args, **own):
    """The client's settings: bootstrap and client id, the command's own, then --property."""
    conf = {"bootstrap.servers": args.bootstrap, "client.id": args.client_id, **own}
    for setting in args.property:
        key, eq, value = setting.partition("=")
        if not key or not eq:
            sys.exit(f"--property takes key=value, got: {setting}")
        conf[key] = value
    return conf


def print_line(**fields):
    print(json.dumps(fields), flush=True)


def stdin_closed():
    """A threading.Event that is set once standard input reaches its end."""
    closed = threading.Event()

    def watch():  # raw reads: a buffered reader's lock would outlive the main thread's exit
        while os.read(sys.stdin.fileno(), 256):
            pass
        closed.set()

    threading.Thread(target=watch, daemon=True).start()
    return closed
