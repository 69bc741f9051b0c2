"""keyed used-marks: invitations.used becomes a used-mark; waves.mark_key_check

The "this invitation was used" flag in the invitation row let anyone with database access pair a
response with its invitation through PostgreSQL's transaction id (docs/anonymity.md, threat 2).
Used invitations are now rows of ``used_marks`` only:

- open waves: the mark is ``HMAC(mark key, wave id, invitation id)`` (``survey.services.marks``), so
  the application still refuses a second answer and sends reminders to unused invitations only;
  the wave records the key's check value. The key comes from the application's configuration
  (``TRIVSEL_MARK_KEY`` or ``SECRET_KEY``): run the upgrade with the same settings as the server.
- closed and draft waves: one random mark per used invitation (participation counts stay right).

Refused, changing nothing: an open wave that already has marks of the removed
``TRIVSEL_USED_MARKS=separate`` mode (hashes of tokens nobody keeps, so they cannot be tied to an
invitation again); close that wave with the previous version first.

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-11-22 09:30:00
"""
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None

# a copy of survey.services.marks as of this revision (migrations must not follow later code changes)
_KEY_LABEL = b"trivsel used-mark key v1"
_CHECK_LABEL = b"trivsel used-mark key check"


def _key():
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    raw = current_app.config.get("TRIVSEL_MARK_KEY") or current_app.config.get("SECRET_KEY") or ""
    material = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
    return hmac.new(material, _KEY_LABEL, hashlib.sha256).digest()


def _mark(key, wave_id, invitation_id):
    msg = f"used-mark\0{int(wave_id)}\0{int(invitation_id)}".encode("ascii")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def _check(key):
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).hexdigest()[:16]


waves = sa.table('waves', sa.column('id', sa.Integer), sa.column('label', sa.String),
                 sa.column('status', sa.String), sa.column('mark_key_check', sa.String))
invitations = sa.table('invitations', sa.column('id', sa.Integer), sa.column('wave_id', sa.Integer),
                       sa.column('unit_id', sa.String), sa.column('used', sa.Boolean))
used_marks = sa.table('used_marks', sa.column('mark', sa.String), sa.column('wave_id', sa.Integer),
                      sa.column('unit_id', sa.String))


def upgrade():
    bind = op.get_bind()
    wave_rows = bind.execute(sa.select(waves.c.id, waves.c.label, waves.c.status)).all()
    open_ids = [w for w, _l, s in wave_rows if s == 'open']
    for wave_id, label, status in wave_rows:
        if status == 'open' and bind.execute(
            sa.select(sa.func.count()).select_from(used_marks).where(used_marks.c.wave_id == wave_id)
        ).scalar():
            raise RuntimeError(
                f"wave '{label}' is open and has used-marks of TRIVSEL_USED_MARKS=separate, which cannot be "
                "converted; close the wave with the previous Trivsel version, then upgrade (nothing was changed)"
            )
    key = _key()
    used = bind.execute(
        sa.select(invitations.c.id, invitations.c.wave_id, invitations.c.unit_id)
        .where(invitations.c.used.is_(True))
    ).all()
    if key is None and open_ids:  # an open wave must get its key check (else the check is skipped)
        raise RuntimeError("upgrade through 'trivsel db upgrade' (it needs SECRET_KEY / TRIVSEL_MARK_KEY)")
    rows = [
        {'mark': _mark(key, w, i) if w in open_ids else secrets.token_hex(32), 'wave_id': w, 'unit_id': u}
        for i, w, u in used
    ]
    # SQLite commits this column at once, outside the transaction of the steps below: if one of them
    # fails (e.g. "database is locked"), a second run must not trip over the column it finds
    if 'mark_key_check' not in {c['name'] for c in sa.inspect(bind).get_columns('waves')}:
        with op.batch_alter_table('waves', schema=None) as batch_op:
            batch_op.add_column(sa.Column('mark_key_check', sa.String(length=16), nullable=True))
    if rows:
        op.bulk_insert(used_marks, rows)
    if open_ids and key is not None:
        bind.execute(waves.update().where(waves.c.id.in_(open_ids)).values(mark_key_check=_check(key)))
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('used')


def downgrade():
    """Back to flags for open waves (their keyed marks become ``used = true``); other waves keep
    their marks, which the earlier version counts as well."""
    bind = op.get_bind()
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('used', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.alter_column('used', server_default=None)
    open_ids = list(bind.execute(sa.select(waves.c.id).where(waves.c.status == 'open')).scalars())
    key = _key()
    for wave_id in open_ids:
        marks = set(bind.execute(sa.select(used_marks.c.mark).where(used_marks.c.wave_id == wave_id)).scalars())
        if not marks:
            continue
        if key is None:
            raise RuntimeError("downgrade through 'trivsel db downgrade' (it needs SECRET_KEY / TRIVSEL_MARK_KEY)")
        ids = list(bind.execute(sa.select(invitations.c.id).where(invitations.c.wave_id == wave_id)).scalars())
        done = [i for i in ids if _mark(key, wave_id, i) in marks]
        if done:
            bind.execute(invitations.update().where(invitations.c.id.in_(done)).values(used=True))
            bind.execute(used_marks.delete().where(
                used_marks.c.mark.in_([_mark(key, wave_id, i) for i in done])))
    if bind.dialect.name == 'sqlite':
        # SQLite >= 3.35 drops a column in place; a batch copy of 'waves' would trip the foreign keys
        op.execute('ALTER TABLE waves DROP COLUMN mark_key_check')
    else:
        op.drop_column('waves', 'mark_key_check')
