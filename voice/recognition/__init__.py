"""Offline speech recognition with Vosk for the voice channels (the assistant, the phone's
Media Streams, the browser phone): a grammar per menu, one recogniser per call, one model per
language per process, and recognised words turned into the answer the flows understand."""
from __future__ import annotations

from .answer import Answer, answer_of
from .grammar import (UNKNOWN, digit_words, gather_phrases, grammar_json, menu_keys,
                      menu_phrases, vocabulary)
from .pcm import MODEL_RATE, PHONE_RATE, Upsampler, mulaw_decode
from .recogniser import CallRecogniser, Heard, SpeechModel, SpeechModels, check_models

__all__ = ["MODEL_RATE", "PHONE_RATE", "UNKNOWN", "Answer", "CallRecogniser", "Heard",
           "SpeechModel", "SpeechModels", "Upsampler", "answer_of", "check_models",
           "digit_words", "gather_phrases", "grammar_json", "menu_keys", "menu_phrases",
           "mulaw_decode", "vocabulary"]
