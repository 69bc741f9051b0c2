"""publications: versions (re-publication), created_at, created_by

Revision ID: pv01a2b3c4d5
Revises: an02b3c4d5e6
Create Date: 2026-12-04 01:00:00

Every existing publication becomes version 1 (created_at / created_by unknown: null). The unique key
moves from (wave, questionnaire) to (wave, questionnaire, version). Downgrade keeps only the newest
version of each wave and questionnaire (what the pages showed) and restores the old key.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'pv01a2b3c4d5'
down_revision = 'an02b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("uq_publications_wave_questionnaire", type_="unique")
        batch_op.create_unique_constraint("uq_publications_wave_questionnaire_version",
                                          ["wave_id", "questionnaire_id", "version"])


def downgrade():
    op.execute(
        "DELETE FROM publications WHERE version < (SELECT max(p.version) FROM publications p "
        "WHERE p.wave_id = publications.wave_id AND p.questionnaire_id = publications.questionnaire_id)"
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_publications_wave_questionnaire_version", type_="unique")
        batch_op.create_unique_constraint("uq_publications_wave_questionnaire", ["wave_id", "questionnaire_id"])
        batch_op.drop_column("created_by")
        batch_op.drop_column("created_at")
        batch_op.drop_column("version")
