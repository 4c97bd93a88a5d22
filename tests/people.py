"""The example mentees the end-to-end tests match leads for (two mentors: maria and dev)."""

from __future__ import annotations

MENTEES_YAML = """\
mentees:
  - name: Sam Lee
    email: sam@example.org
    mentor: maria
    skills: [python, django, postgresql, docker]
    roles: [backend engineer, python developer]
  - name: Alex Kim
    email: alex@example.org
    mentor: maria
    skills: [figma, user research, prototyping, design systems]
    roles: [product designer, ux designer]
  - name: Priya Nair
    email: priya@example.org
    mentor: dev
    skills: [kubernetes, terraform, aws, linux]
    roles: [devops engineer, site reliability engineer]
"""
