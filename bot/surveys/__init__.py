"""Surveys and the success-criteria scoreboard: pulses, the midway and final evaluations, the
company survey; answers counted only past the anonymity threshold."""
