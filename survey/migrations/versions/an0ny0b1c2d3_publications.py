"""publications: a closed wave's report frozen with the unit tree it was published with

Revision ID: an0ny0b1c2d3
Revises: an01a2b3c4d5
Create Date: 2026-12-03 15:50:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'an0ny0b1c2d3'
down_revision = 'an01a2b3c4d5'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=64), nullable=False),
        sa.Column("report", _JSON, nullable=False),
        sa.Column("units", _JSON, nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_publications_wave_id_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("wave_id", "questionnaire_id", name="uq_publications_wave_questionnaire"),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publications_wave_id"), ["wave_id"], unique=False)


def downgrade():
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publications_wave_id"))
    op.drop_table("publications")
