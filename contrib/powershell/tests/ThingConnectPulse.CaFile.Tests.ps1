#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
Connect-ThingConnectPulse -CaFile against a live Pulse served over https with a certificate of
a test CA, which is in no system store:

- PULSE_TLS_URL, PULSE_USERNAME, PULSE_PASSWORD: that Pulse and an administrator of it; it
  watches a TCP endpoint named "PLC Press" in group "plant";
- PULSE_CA_FILE: the test CA's certificate (PEM);
- PULSE_OTHER_CA_FILE: the certificate of another CA, which signed nothing here;
- PULSE_MISNAMED_URL: an https server on another loopback address whose certificate the test
  CA signed for other names; it answers every request as Pulse would, so only the name check
  can refuse it.

test_powershell_module.py starts all of these and runs this suite where pwsh is installed.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' 'ThingConnectPulse.psd1') -Force
    $password = ConvertTo-SecureString $env:PULSE_PASSWORD -AsPlainText -Force
    $cred = [pscredential]::new($env:PULSE_USERNAME, $password)
}

Describe 'Connect-ThingConnectPulse -CaFile' {
    It 'connects to Pulse with its CA and says which file it trusts' {
        $connection = Connect-ThingConnectPulse -Server $env:PULSE_TLS_URL -Credential $cred -CaFile $env:PULSE_CA_FILE
        $connection.Role | Should -Be 'admin'
        $connection.CaFile | Should -Be (Resolve-Path -LiteralPath $env:PULSE_CA_FILE).ProviderPath
    }

    It 'takes a file of several certificates, the CA among them' {
        $bundle = Join-Path $TestDrive 'bundle.pem'
        (Get-Content -Raw $env:PULSE_OTHER_CA_FILE) + (Get-Content -Raw $env:PULSE_CA_FILE) | Set-Content -LiteralPath $bundle -NoNewline
        (Connect-ThingConnectPulse -Server $env:PULSE_TLS_URL -Credential $cred -CaFile $bundle).Role | Should -Be 'admin'
    }

    It 'refuses Pulse when the file holds another CA only, and says why' {
        { Connect-ThingConnectPulse -Server $env:PULSE_TLS_URL -Credential $cred -CaFile $env:PULSE_OTHER_CA_FILE } |
            Should -Throw -ExpectedMessage "cannot reach Pulse for GET /api/auth/session: Pulse's certificate (*) does not chain to a certificate of *"
    }

    It 'refuses a certificate of the CA that does not name the host asked for' {
        $name = ([uri] $env:PULSE_MISNAMED_URL).Host
        { Connect-ThingConnectPulse -Server $env:PULSE_MISNAMED_URL -Credential $cred -CaFile $env:PULSE_CA_FILE } |
            Should -Throw -ExpectedMessage "cannot reach Pulse for GET /api/auth/session: Pulse's certificate (*) is not made out to ${name}: give -Server a name or address that the certificate lists*"
    }

    It 'is needed: without it the system store does not know the CA' {
        { Connect-ThingConnectPulse -Server $env:PULSE_TLS_URL -Credential $cred } |
            Should -Throw -ExpectedMessage 'cannot reach Pulse for GET /api/auth/session:*'
    }

    It 'says what is wrong: <Why>' -ForEach @(
        @{ Why = 'no such file'; Server = 'TLS'; File = 'missing.pem'; Message = '-CaFile: there is no file *missing.pem; give the PEM file of the CA*' }
        @{ Why = 'no certificate in it'; Server = 'TLS'; File = 'notes.txt'; Message = '*notes.txt holds no certificate: give the certificate of the CA*' }
        @{ Why = 'plain http'; Server = 'http://127.0.0.1:8080'; File = 'ca'; Message = '-CaFile is for a Pulse served over https, and http://127.0.0.1:8080 is not*' }
    ) {
        Set-Content -LiteralPath (Join-Path $TestDrive 'notes.txt') -Value 'not a certificate'
        $path = if ($File -eq 'ca') { $env:PULSE_CA_FILE } else { Join-Path $TestDrive $File }
        $url = if ($Server -eq 'TLS') { $env:PULSE_TLS_URL } else { $Server }
        { Connect-ThingConnectPulse -Server $url -Credential $cred -CaFile $path } |
            Should -Throw -ExpectedMessage $Message
    }

    It 'does not go with -SkipCertificateCheck' {
        { Connect-ThingConnectPulse -Server $env:PULSE_TLS_URL -Credential $cred -CaFile $env:PULSE_CA_FILE -SkipCertificateCheck } |
            Should -Throw -ExpectedMessage '-CaFile and -SkipCertificateCheck exclude each other*'
    }
}

Describe 'Every command over a -CaFile connection' {
    BeforeAll {
        $null = Connect-ThingConnectPulse -Server $env:PULSE_TLS_URL -Credential $cred -CaFile $env:PULSE_CA_FILE
        $plc = Get-PulseEndpointStatus -All | Where-Object Name -EQ 'PLC Press'
    }

    It 'reads status and history, from the pipeline too' {
        $plc.Group | Should -Be 'plant'
        ($plc | Get-PulseEndpointStatus).Name | Should -Be 'PLC Press'
        $checks = Get-PulseEndpointStatus -Group plant | Get-PulseEndpointHistory -Hours 1
        $checks | Should -Not -BeNullOrEmpty
        $checks[0].PSObject.TypeNames[0] | Should -Be 'ThingConnectPulse.Check'
    }

    It 'adds and removes endpoints, and changes nothing with -WhatIf' {
        New-PulseEndpoint -Name 'Not Added' -Address '127.0.0.3' -Type icmp -WhatIf
        (Get-PulseEndpointStatus -All).Name | Should -Not -Contain 'Not Added'
        $added = [pscustomobject]@{ Name = 'Spare PLC'; Address = '127.0.0.5'; Type = 'tcp'; Port = '502' } |
            New-PulseEndpoint -Group plant -Disabled
        $added.Address | Should -Be '127.0.0.5:502'
        $added | Remove-PulseEndpoint
        (Get-PulseEndpointStatus -All).Name | Should -Not -Contain 'Spare PLC'
    }

    It 'saves an export' {
        $file = Export-PulseHistory -Format csv -Path (Join-Path $TestDrive 'raw.csv') -Hours 1 -Bucket raw
        (Get-Content $file.FullName -TotalCount 1) | Should -Be 'endpointId,endpointName,groupId,groupName,ts,status,rttMs,error'
        Export-PulseHistory -Format csv -Path (Join-Path $TestDrive 'none.csv') -WhatIf
        Test-Path (Join-Path $TestDrive 'none.csv') | Should -BeFalse
    }

    It "reports Pulse's refusals as without -CaFile" {
        { Get-PulseEndpointHistory -EndpointId 'no-such-endpoint' } |
            Should -Throw -ExpectedMessage 'Pulse refused GET /api/history/endpoint/no-such-endpoint (HTTP 404):*Get-PulseEndpointStatus -All lists every endpoint with its Id'
        { New-PulseEndpoint -Address '127.0.0.6' -Type tcp } |
            Should -Throw -ExpectedMessage 'Pulse refused POST /api/endpoints (HTTP 400): the endpoint is not valid: port: port is required for tcp targets'
        $wrong = [pscredential]::new($env:PULSE_USERNAME, (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        { Connect-ThingConnectPulse -Server $env:PULSE_TLS_URL -Credential $wrong -CaFile $env:PULSE_CA_FILE } |
            Should -Throw -ExpectedMessage '*(HTTP 401)*check the -Credential or -ApiKey given to Connect-ThingConnectPulse'
    }
}
