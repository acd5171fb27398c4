@post-install
Feature: Pages answer after the upgrade
  A page that answers 500 after a deployment usually means a broken
  application server behind the web server (a WSGI file pointing at the
  wrong place, a missing virtualenv).

  Scenario Outline: <page> answers
    When I request "<page>"
    Then the response status should be 200
    And the response should not contain "Internal Server Error"

    Examples:
      | page             |
      | /                |
      | /accounts/login/ |

  Scenario: An unknown page is a plain 404, not a debug page
    When I request "/no-such-page/"
    Then the response status should be 404
    And the response should not contain "DEBUG = True"

  Scenario: Reports stay behind the login, without a debug page on the way
    When I request "/reports/"
    Then the response should not contain "DEBUG = True"
    And the response should not contain "Traceback"
    And the response should redirect to "/accounts/login/"
