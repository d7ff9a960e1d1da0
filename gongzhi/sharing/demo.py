def run(log):
    pass
