from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("")


home = ruling_list = ruling_detail = lawsuit_list = lawsuit_detail = _todo
policy_list = policy_detail = program_list = program_detail = _todo
court_list = court_detail = jurisdiction_list = jurisdiction_detail = _todo
