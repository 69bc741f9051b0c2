"""users: oidc_subject (OpenID Connect sign-in) and session_epoch (sign-out ends every copy of a session)

Revision ID: oi01a2b3c4d5
Revises: an0ny0b1c2d3
Create Date: 2026-12-03 15:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'oi01a2b3c4d5'
down_revision = 'an0ny0b1c2d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_users_oidc_subject'), ['oidc_subject'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_oidc_subject'), type_='unique')
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('oidc_subject')
