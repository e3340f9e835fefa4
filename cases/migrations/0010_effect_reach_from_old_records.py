"""Carry every recorded effect forward into the explicit model of migration 0009.

Before 0009 an effect's reach was read at run time: nationwide when the ruling's scope was
nationwide, otherwise the effect's protected jurisdictions or, when none were listed, the
plaintiffs of the ruling's lawsuits; and a ruling of kind "stay" recorded as lifting or narrowing
a block suspended the block it acted on. Those readings are written down here as data:

* `blocks`: reach nationwide, or the named jurisdictions (the listed ones, else the plaintiffs);
* `narrows_block`: reach the named jurisdictions (likewise);
* a stay ruling's `lifts_block` / `narrows_block`: `stays`, naming the stayed ruling (the ruling
  it reviews, else the latest earlier block in the same lawsuit), with reach nobody or the named
  jurisdictions. A stay for which no stayed ruling can be found keeps its old record, which the
  engine then reads as ending the block; `rebuild_statuses` lists it for editors.

It also gives the two tables 0009 created the data-version triggers every case table carries
(migration 0006).
"""

from django.db import migrations

NEW_TABLES = ["cases_policypart", "cases_rulingeffect_parts"]
NOW_SQLITE = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def add_triggers(apps, schema_editor):
    connection = schema_editor.connection
    for table in NEW_TABLES:
        if connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
                "cases_bump_data_version()"
            )
        elif connection.vendor == "sqlite":
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON "
                    f"{table} BEGIN UPDATE cases_data_version SET counter = counter + 1, "
                    f"changed_at = {NOW_SQLITE} WHERE id = 1; END"
                )


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    for table in NEW_TABLES:
        if connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
        elif connection.vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event}")


def _plaintiffs(ruling) -> list:
    return [j for suit in ruling.lawsuits.all() for j in suit.plaintiffs.all()]


def _stayed_ruling(effect, RulingEffect):
    ruling = effect.ruling
    if ruling.reviews_id is not None:
        return ruling.reviews
    candidates = (
        RulingEffect.objects.filter(
            policy_id=effect.policy_id,
            effect="blocks",
            ruling__decided_on__lte=ruling.decided_on,
            ruling__lawsuits__in=ruling.lawsuits.all(),
        )
        .exclude(ruling_id=ruling.pk)
        .select_related("ruling")
        .order_by("-ruling__decided_on", "-ruling_id")
    )
    first = candidates.first()
    return first.ruling if first else None


def forward(apps, schema_editor):
    RulingEffect = apps.get_model("cases", "RulingEffect")
    for effect in RulingEffect.objects.select_related("ruling").order_by("pk"):
        ruling = effect.ruling
        protected = list(effect.protected.all())
        if ruling.kind == "stay" and effect.effect in ("lifts_block", "narrows_block"):
            stayed = _stayed_ruling(effect, RulingEffect)
            if stayed is None:
                continue
            if effect.effect == "narrows_block":
                effect.reach = "jurisdictions"
                if not protected:
                    effect.protected.set(_plaintiffs(ruling))
            else:
                effect.reach = "nobody"
            effect.effect = "stays"
            effect.stays_ruling = stayed
            effect.save(update_fields=["effect", "reach", "stays_ruling"])
        elif effect.effect == "blocks" and ruling.scope == "nationwide" and not protected:
            effect.reach = "nationwide"
            effect.save(update_fields=["reach"])
        elif effect.effect in ("blocks", "narrows_block"):
            effect.reach = "jurisdictions"
            if not protected:
                effect.protected.set(_plaintiffs(ruling))
            effect.save(update_fields=["reach"])


def backward(apps, schema_editor):
    RulingEffect = apps.get_model("cases", "RulingEffect")
    for effect in RulingEffect.objects.filter(effect="stays"):
        effect.effect = "narrows_block" if effect.reach != "nobody" else "lifts_block"
        effect.stays_ruling = None
        effect.stay_ends_on = None
        effect.save(update_fields=["effect", "stays_ruling", "stay_ends_on"])
    RulingEffect.objects.update(reach="", states="", holding="")


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_policy_parts_reach_stays_holdings")]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers, elidable=False),
        migrations.RunPython(forward, backward, elidable=False),
    ]
