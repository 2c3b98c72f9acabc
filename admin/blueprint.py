"""The web admin's URL table (the views live in their own modules)."""
from __future__ import annotations

from flask import Blueprint

from . import (attendees, auth, errors, events, hear, live, overview, recordings, registrations,
               session_audio, sessions, templating, throttle, week)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")
bp.before_request(auth.require_login)
bp.context_processor(templating.admin_context)

bp.add_url_rule("/", "index", view_func=overview.index)
bp.add_url_rule("/login", "login", view_func=throttle.login_limits(auth.login),
                methods=["GET", "POST"])
bp.add_url_rule("/logout", "logout", view_func=auth.logout, methods=["POST"])
bp.add_url_rule("/language", "set_language", view_func=auth.set_language, methods=["POST"])

bp.add_url_rule("/events", "list_events", view_func=events.list_events)
bp.add_url_rule("/events/new", "new_event", view_func=events.new_event, methods=["GET", "POST"])
bp.add_url_rule("/events/<int:event_id>", "show_event", view_func=events.show_event)
bp.add_url_rule("/events/<int:event_id>/edit", "edit_event", view_func=events.edit_event,
                methods=["GET", "POST"])
bp.add_url_rule("/events/<int:event_id>/sessions/new", "new_session", view_func=events.new_session,
                methods=["GET", "POST"])

bp.add_url_rule("/sessions/<int:session_id>/edit", "edit_session", view_func=sessions.edit_session,
                methods=["GET", "POST"])
bp.add_url_rule("/sessions/<int:session_id>/cancel", "cancel_session",
                view_func=sessions.cancel_session, methods=["GET", "POST"])
bp.add_url_rule("/sessions/<int:session_id>/move", "move_session", view_func=sessions.move_session,
                methods=["GET", "POST"])

bp.add_url_rule("/sessions/<int:session_id>/registrations", "list_registrations",
                view_func=registrations.list_registrations)
bp.add_url_rule("/sessions/<int:session_id>/registrations", "add_registration",
                view_func=registrations.add_registration, methods=["POST"])
bp.add_url_rule("/sessions/<int:session_id>/registrations.csv", "export_registrations",
                view_func=attendees.export_csv)
bp.add_url_rule("/sessions/<int:session_id>/attendees", "print_attendees",
                view_func=attendees.print_list)
bp.add_url_rule("/registrations/<int:reg_id>/cancel", "cancel_registration",
                view_func=registrations.cancel_registration, methods=["GET", "POST"])
bp.add_url_rule("/registrations/<int:reg_id>/restore", "restore_registration",
                view_func=registrations.restore_registration, methods=["POST"])
bp.add_url_rule("/registrations/<int:reg_id>/attendance", "mark_attendance",
                view_func=registrations.mark_attendance, methods=["POST"])

bp.add_url_rule("/hear", "hear", view_func=hear.week)
bp.add_url_rule("/week", "week", view_func=week.week)

bp.add_url_rule("/recordings", "list_recordings", view_func=recordings.list_recordings)
bp.add_url_rule("/recordings/upload", "upload_recording", view_func=recordings.upload_recording,
                methods=["GET", "POST"])
bp.add_url_rule("/recordings/<int:rec_id>", "show_recording", view_func=recordings.show_recording)
bp.add_url_rule("/recordings/<int:rec_id>/review", "review_recording",
                view_func=recordings.review_recording, methods=["POST"])

bp.add_url_rule("/listen", "list_session_audio", view_func=session_audio.list_session_audio)
bp.add_url_rule("/listen/upload", "upload_session_audio",
                view_func=session_audio.upload_session_audio, methods=["GET", "POST"])
bp.add_url_rule("/listen/<int:audio_id>", "show_session_audio",
                view_func=session_audio.show_session_audio)
bp.add_url_rule("/listen/<int:audio_id>/review", "review_session_audio",
                view_func=session_audio.review_session_audio, methods=["POST"])
bp.add_url_rule("/sessions/<int:session_id>/live", "live_console", view_func=live.console)
bp.add_url_rule("/sessions/<int:session_id>/live.json", "live_state", view_func=live.console_json)
bp.add_url_rule("/sessions/<int:session_id>/live/<int:participant_id>/<action>", "live_act",
                view_func=live.act, methods=["POST"])
bp.add_url_rule("/sessions/<int:session_id>/live/end", "live_end", view_func=live.end,
                methods=["POST"])
bp.add_url_rule("/sessions/<int:session_id>/live/host", "live_call_host", view_func=live.call_host,
                methods=["POST"])

bp.register_error_handler(403, errors.forbidden)
bp.register_error_handler(404, errors.not_found)
bp.register_error_handler(409, errors.conflict)
bp.register_error_handler(429, throttle.throttled)

# Calls nobody answered: staff call these people themselves (admin/outbound.py).
from . import outbound  # noqa: E402

bp.add_url_rule("/calls", "calls_for_staff", view_func=outbound.calls_for_staff)
bp.add_url_rule("/calls/<int:call_id>/done", "call_done", view_func=outbound.call_done,
                methods=["POST"])

# Imports (admin/imports.py) and the large-print paper programme (admin/printing.py).
from . import imports, printing  # noqa: E402

bp.add_url_rule("/imports", "list_sources", view_func=imports.list_sources)
bp.add_url_rule("/imports/new", "new_source", view_func=imports.edit_source, methods=["GET", "POST"])
bp.add_url_rule("/imports/<int:source_id>", "edit_source", view_func=imports.edit_source,
                methods=["GET", "POST"])
bp.add_url_rule("/imports/<int:source_id>/run", "run_source", view_func=imports.run_source,
                methods=["POST"])
bp.add_url_rule("/imports/worklist", "import_worklist", view_func=imports.worklist)
bp.add_url_rule("/imports/worklist/<int:event_id>", "decide_event", view_func=imports.decide,
                methods=["POST"])
bp.add_url_rule("/print", "print_programme", view_func=printing.page)

# Logins (admin/user_views.py): staff manage users; the one-time password link needs no login.
from . import user_views  # noqa: E402

bp.add_url_rule("/users", "list_users", view_func=user_views.list_users)
bp.add_url_rule("/users/new", "new_user", view_func=user_views.new_user, methods=["GET", "POST"])
bp.add_url_rule("/users/<int:user_id>", "edit_user", view_func=user_views.edit_user,
                methods=["GET", "POST"])
bp.add_url_rule("/users/<int:user_id>/<action>", "set_user_active",
                view_func=user_views.set_user_active, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/link", "new_reset_link", view_func=user_views.new_reset_link,
                methods=["POST"])
bp.add_url_rule("/password/<token>", "reset_password", view_func=user_views.reset_password,
                methods=["GET", "POST"])
# Staff's desk: worklists (admin/worklists.py), a caller's name (admin/callers.py), the log.
from . import audit_log, callers, worklists  # noqa: E402

bp.context_processor(worklists.nav_context)
bp.context_processor(audit_log.helpers)
bp.add_url_rule("/callbacks/<int:request_id>/done", "callback_done",
                view_func=worklists.callback_done, methods=["POST"])
bp.add_url_rule("/registrations/<int:reg_id>/told", "told_done", view_func=worklists.told_done,
                methods=["POST"])
bp.add_url_rule("/providers/<int:provider_id>/unlock", "unlock_pin",
                view_func=worklists.unlock_pin, methods=["POST"])
bp.add_url_rule("/callers/<int:caller_id>/name", "edit_caller_name", view_func=callers.edit_name,
                methods=["GET", "POST"])
bp.add_url_rule("/log", "audit_log", view_func=audit_log.log_page)
# What callers say in the menus (admin/speech.py).
from . import speech  # noqa: E402

bp.add_url_rule("/speech", "speech_log", view_func=speech.speech_log)
# The browser phone (admin/phone.py): the real line, called from the page.
from . import phone  # noqa: E402

bp.add_url_rule("/phone", "phone", view_func=phone.page)
bp.add_url_rule("/phone/dial", "phone_dial", view_func=phone.dial, methods=["POST"])
bp.add_url_rule("/phone/step", "phone_step", view_func=phone.step, methods=["POST"])
bp.add_url_rule("/phone/speech", "phone_speech", view_func=phone.speech, methods=["POST"])
