"""Seed the working-day calendar from chinese-calendar (holidays and make-up working
days, 2020 onwards). Later years are entered by an administrator."""

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}
FIRST_YEAR = 2020


def days():
    import chinese_calendar

    for day, name in chinese_calendar.holidays.items():
        if day.year >= FIRST_YEAR:
            yield day, False, NAMES.get(name, name)
    for day, name in chinese_calendar.workdays.items():
        if day.year >= FIRST_YEAR:
            yield day, True, NAMES.get(name, name) + "调休上班"


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, is_workday=w, name=n) for d, w, n in days()], ignore_conflicts=True
    )


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(date__year__gte=FIRST_YEAR).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_working_day_calendar")]

    operations = [migrations.RunPython(seed, unseed)]
