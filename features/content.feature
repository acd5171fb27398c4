@preflight @post-install
Feature: Nothing meant for testers or developers shows on the site
  Lorem ipsum, "test, please ignore" and framework debug pages are the
  mistakes clients take screenshots of. The built-in rules catch them on
  one page or on every page a role can reach, where a broken link, a
  missing style sheet or image, or mixed content fails the crawl too.

  Scenario: The home page is clean
    Given I am not logged in
    When I request "/"
    Then the page should contain no forbidden content
    And the page should not contain any of:
      | TODO  |
      | FIXME |
      | XXX   |

  Scenario: Nothing a visitor can reach shows test strings or debug pages
    Given I am not logged in
    Then no page reachable from "/" should contain forbidden content

  Scenario: Nothing a clerk can reach shows test strings or debug pages
    Given I am logged in as "clerk"
    Then no page reachable from "/dashboard/" should contain forbidden content

  Scenario: Every page a visitor can reach works, and so does everything it loads
    Given I am not logged in
    Then no page reachable from "/" should have broken links or assets
