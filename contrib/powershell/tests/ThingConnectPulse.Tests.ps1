#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
The ThingConnectPulse module against a live Pulse named by PULSE_URL, PULSE_USERNAME and
PULSE_PASSWORD (an administrator). The Pulse watches a TCP endpoint named "PLC Press" in
group "plant"; the tests add and remove endpoints on 127.0.0.x only.
test_powershell_module.py starts such a Pulse and runs this suite where pwsh is installed.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' 'ThingConnectPulse.psd1') -Force
    $password = ConvertTo-SecureString $env:PULSE_PASSWORD -AsPlainText -Force
    $cred = [pscredential]::new($env:PULSE_USERNAME, $password)
    $connection = Connect-ThingConnectPulse -Server $env:PULSE_URL -Credential $cred
    $plc = Get-PulseEndpointStatus -All | Where-Object Name -EQ 'PLC Press'
}

Describe 'The usage example of the README' {
    It 'runs with three placeholders replaced' {
        # The test server for localhost:8080, the PLC's id for ep-123 (Pulse derives ids from
        # the target), and 127.0.0.2 for 192.168.1.100: the new endpoint is checked at once,
        # and a test sends no packet beyond loopback.
        $readme = Get-Content (Join-Path $PSScriptRoot '..' 'README.md') -Raw
        $found = $readme -match '(?s)The usage example:\s*```powershell\r?\n(.*?)```'
        $found | Should -BeTrue
        $example = $Matches[1].Replace('"http://localhost:8080"', "'$env:PULSE_URL'").Replace('"ep-123"', "'$($plc.Id)'").Replace('"192.168.1.100"', "'127.0.0.2'")
        $null = . ([scriptblock]::Create($example))
        $created = Get-PulseEndpointStatus -All | Where-Object Name -EQ 'New Server'
        try {
            $status.Name | Should -Contain 'PLC Press'
            $history | Should -Not -BeNullOrEmpty
            $history[0].EndpointId | Should -Be $plc.Id
            $history[0].Status | Should -BeIn @('up', 'down')
            $created.Address | Should -Be '127.0.0.2:80'
            $created.Type | Should -Be 'tcp'
        }
        finally {
            $created | Remove-PulseEndpoint
        }
    }
}

Describe 'Connect-ThingConnectPulse' {
    It 'shows who is connected' {
        $connection.Name | Should -Be $env:PULSE_USERNAME
        $connection.Kind | Should -Be 'user'
        $connection.Role | Should -Be 'admin'
    }

    It 'says what to check when the password is wrong' {
        $wrong = [pscredential]::new($env:PULSE_USERNAME, (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        { Connect-ThingConnectPulse -Server $env:PULSE_URL -Credential $wrong } |
            Should -Throw -ExpectedMessage '*(HTTP 401)*check the -Credential or -ApiKey given to Connect-ThingConnectPulse'
        Connect-ThingConnectPulse -Server $env:PULSE_URL -Credential $cred | Out-Null
    }
}

Describe 'Get-PulseEndpointStatus' {
    It 'filters by group and by id, from the pipeline too' {
        (Get-PulseEndpointStatus -Group plant).Id | Should -Contain $plc.Id
        (Get-PulseEndpointStatus -EndpointId $plc.Id).Name | Should -Be 'PLC Press'
        ($plc | Get-PulseEndpointStatus).Name | Should -Be 'PLC Press'
    }

    It 'reports an unknown id with what to do' {
        { Get-PulseEndpointStatus -EndpointId 'no-such-endpoint' -ErrorAction Stop } |
            Should -Throw -ExpectedMessage "endpoint 'no-such-endpoint' not found: Get-PulseEndpointStatus -All lists every endpoint with its Id"
    }
}

Describe 'Get-PulseEndpointHistory' {
    It 'takes endpoints from the pipeline' {
        $checks = Get-PulseEndpointStatus -Group plant | Get-PulseEndpointHistory -Hours 1
        $checks | Should -Not -BeNullOrEmpty
        $checks[0].PSObject.TypeNames[0] | Should -Be 'ThingConnectPulse.Check'
    }

    It 'gives daily rollups for a range' {
        $days = Get-PulseEndpointHistory -EndpointId $plc.Id -Start (Get-Date).AddDays(-3) -End (Get-Date) -Bucket daily
        $days | Should -Not -BeNullOrEmpty
        $days[0].Bucket | Should -Be 'daily'
    }

    It 'names the request and the fix for an unknown endpoint' {
        { Get-PulseEndpointHistory -EndpointId 'no-such-endpoint' } |
            Should -Throw -ExpectedMessage "Pulse refused GET /api/history/endpoint/no-such-endpoint (HTTP 404):*"
    }
}

Describe 'New-PulseEndpoint and Remove-PulseEndpoint' {
    It 'changes nothing with -WhatIf' {
        New-PulseEndpoint -Name 'Not Added' -Address '127.0.0.3' -Type icmp -WhatIf
        (Get-PulseEndpointStatus -All).Name | Should -Not -Contain 'Not Added'
    }

    It 'adds endpoints from objects in the pipeline and removes them the same way' {
        $devices = @(
            [pscustomobject]@{ Name = 'Spare HMI'; Address = '127.0.0.4'; Type = 'icmp' }
            [pscustomobject]@{ Name = 'Spare PLC'; Address = '127.0.0.5'; Type = 'tcp'; Port = '502' }
        )
        $added = $devices | New-PulseEndpoint -Group plant -Disabled
        ($added.Name -join ', ') | Should -Be 'Spare HMI, Spare PLC'
        $added[1].Address | Should -Be '127.0.0.5:502'
        ($added.Enabled -join ', ') | Should -Be 'False, False'
        $added | Remove-PulseEndpoint -WhatIf
        (Get-PulseEndpointStatus -All).Name | Should -Contain 'Spare HMI'
        $added | Remove-PulseEndpoint
        (Get-PulseEndpointStatus -All).Name | Should -Not -Contain 'Spare HMI'
    }

    It "passes on Pulse's message for an invalid endpoint" {
        { New-PulseEndpoint -Address '127.0.0.6' -Type tcp } |
            Should -Throw -ExpectedMessage 'Pulse refused POST /api/endpoints (HTTP 400): the endpoint is not valid: port: port is required for tcp targets'
    }
}

Describe 'Export-PulseHistory' {
    It 'saves a CSV file' {
        $file = Export-PulseHistory -Format csv -Path (Join-Path $TestDrive 'raw.csv') -Hours 1 -Bucket raw
        (Get-Content $file.FullName -TotalCount 1) | Should -Be 'endpointId,endpointName,groupId,groupName,ts,status,rttMs,error'
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'none.csv'
        Export-PulseHistory -Format csv -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
    }
}

Describe 'Help' {
    It '<_> has a synopsis and an example' -ForEach @(
        'Connect-ThingConnectPulse', 'Get-PulseEndpointStatus', 'Get-PulseEndpointHistory',
        'New-PulseEndpoint', 'Remove-PulseEndpoint', 'Export-PulseHistory'
    ) {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Examples | Should -Not -BeNullOrEmpty
    }
}
