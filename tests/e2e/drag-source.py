#!/usr/bin/python3
"""A native drag source for the E2E: a small GTK window at the top-left corner of the display
whose button drags the file given as its argument (as a file manager does: text/uri-list).
xdotool then drags it onto the app's window, so the app receives a real XDND drop, not a
synthesised DOM event. Prints "ready X Y" (the button's centre on screen) once it is shown."""

import sys
from pathlib import Path

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

URI_LIST = 0


def main() -> None:
    uri = Path(sys.argv[1]).resolve().as_uri()
    window = Gtk.Window(title="photofind-e2e-drag-source")
    window.set_decorated(False)
    window.set_keep_above(True)
    window.move(0, 0)
    window.set_default_size(160, 80)
    button = Gtk.Button(label="drag me")
    button.drag_source_set(
        Gdk.ModifierType.BUTTON1_MASK,
        [Gtk.TargetEntry.new("text/uri-list", 0, URI_LIST)],
        Gdk.DragAction.COPY,
    )
    button.connect("drag-data-get", lambda _w, _c, data, _i, _t: data.set_uris([uri]))
    button.connect("drag-end", lambda *_: GLib.timeout_add(500, Gtk.main_quit))
    window.add(button)
    window.connect("destroy", Gtk.main_quit)

    def ready() -> bool:
        origin = button.get_window().get_origin()
        allocation = button.get_allocation()
        x = origin.x + allocation.x + allocation.width // 2
        y = origin.y + allocation.y + allocation.height // 2
        print(f"ready {x} {y}", flush=True)
        return False

    window.connect("map-event", lambda *_: GLib.timeout_add(300, ready))
    window.show_all()
    GLib.timeout_add_seconds(60, Gtk.main_quit)  # never outlives a test that died
    Gtk.main()


if __name__ == "__main__":
    main()
