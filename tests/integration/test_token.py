def test_smoke(ansible, emulator):
    run = ansible.playbook([{"name": "t", "fiskaly.management.fiskaly_token": {"api_secret": "wrong"}, "register": "r"}])
    print(run.rc, run.stdout[-3000:])
