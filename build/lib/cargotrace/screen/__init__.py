"""Sanctions screening: lists into the store, vessels matched against them, vessel profiles.

Data flow (DESIGN.md): detect/ → screen/ → routes/. Readers (`ofac`, `un`, `ftm`) turn list files
into FollowTheMoney-shaped entities; `lists` keeps the current entities of each list and the
history of loads; `match` explains every hit; `screen` writes `sanction_match` events; `profile`
answers "is this ship sanctioned, who is behind it, and what has it been doing?".
"""

from __future__ import annotations
