from . import controllers, demo, models, report, wizard


def _post_init_hook(env):
    env["res.company"]._prepaid_setup_all_companies()
