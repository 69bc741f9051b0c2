"""Audit log (audit_events) and anonymous used-marks (used_marks; docs/anonymity.md).

Revision ID: c8d9e0f1a2b3
Revises: b7c1d2e3f4a5
Create Date: 2026-11-22 04:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c8d9e0f1a2b3'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=320), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('used_marks',
    sa.Column('mark', sa.String(length=64), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.unit_id'], name=op.f('fk_used_marks_unit_id_units')),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_used_marks_wave_id_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mark', name=op.f('pk_used_marks')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('used_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_marks_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_used_marks_wave_id'), ['wave_id'], unique=False)


def downgrade():
    with op.batch_alter_table('used_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_marks_wave_id'))
        batch_op.drop_index(batch_op.f('ix_used_marks_unit_id'))
    op.drop_table('used_marks')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))
    op.drop_table('audit_events')
